"""The embeddable web chat widget: loader script, iframe page and its JSON endpoints."""

from __future__ import annotations

from fastapi import APIRouter

from bot.runtime import Runtime
from bot.widget.admin_api import build_admin_api
from bot.widget.demo import build_demo
from bot.widget.endpoints import build_endpoints
from bot.widget.frame import build_frame
from bot.widget.guard import WidgetLimits
from bot.widget.loader import build_loader
from storage.widgets import ensure_demo_widget


def demo_origins(runtime: Runtime) -> list[str]:
    """Baton's own origin(s) from its settings; the demo page is served from there."""
    host, port = runtime.settings.host, runtime.settings.port
    if host in ("127.0.0.1", "localhost", "0.0.0.0", "::", "::1"):
        return [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]
    return [f"http://{host}:{port}"]


def build_widget_router(runtime: Runtime, *, limits: WidgetLimits | None = None) -> APIRouter:
    """The loader, the chat frame, the widget's session/turn endpoints, the widget admin API
    and the demo page. Makes sure the "demo" widget exists."""
    with runtime.session() as session:
        ensure_demo_widget(session=session, origin=demo_origins(runtime))
    router = APIRouter()
    router.include_router(build_loader())
    router.include_router(build_frame(runtime))
    router.include_router(build_endpoints(runtime, limits or WidgetLimits()))
    router.include_router(build_admin_api(runtime))
    router.include_router(build_demo(runtime))
    return router
