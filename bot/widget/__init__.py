"""The embeddable web chat widget: loader script, iframe page and its JSON endpoints."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from bot.api.params import refuse_nul
from bot.runtime import Runtime
from bot.widget.admin_api import build_admin_api
from bot.widget.demo import build_demo
from bot.widget.endpoints import build_endpoints
from bot.widget.frame import build_frame
from bot.widget.guard import WidgetLimits
from bot.widget.live_endpoints import build_live_endpoints
from bot.widget.live_hub import LiveHub
from bot.widget.loader import build_loader
from storage.widgets import ensure_demo_widget


def demo_origins(runtime: Runtime) -> list[str]:
    """Baton's own origin(s) from its settings; the demo page is served from there."""
    host, port = runtime.settings.host, runtime.settings.port
    if host in ("127.0.0.1", "localhost", "0.0.0.0", "::", "::1"):
        return [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]
    return [f"http://{host}:{port}"]


def build_widget_router(
    runtime: Runtime, *, limits: WidgetLimits | None = None, hub: LiveHub | None = None
) -> APIRouter:
    """The loader, the chat frame, the widget's session/turn and live chat endpoints, the
    widget admin API and the demo page. Makes sure the "demo" widget exists.

    `hub` wakes the live streams; it must be running (the app's lifespan) for streams to be
    served, otherwise clients are told to poll."""
    with runtime.session() as session:
        ensure_demo_widget(session=session, origin=demo_origins(runtime))
    # PostgreSQL cannot store NUL; refuse it before it reaches a query (422, not a 500).
    router = APIRouter(dependencies=[Depends(refuse_nul)])
    router.include_router(build_loader())
    router.include_router(build_frame(runtime))
    limits = limits or WidgetLimits()
    hub = hub or LiveHub(session=runtime.session, interval=runtime.settings.live_poll_seconds)
    router.include_router(build_endpoints(runtime, limits))
    router.include_router(build_live_endpoints(runtime, limits, hub))
    router.include_router(build_admin_api(runtime))
    router.include_router(build_demo(runtime))
    return router
