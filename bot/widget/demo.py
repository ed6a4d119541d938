"""`GET /`: the demo host page with the "demo" widget embedded by its one tag."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bot.runtime import Runtime
from bot.widget.loader import LOADER_VERSION
from bot.widget.templating import render
from storage.widgets import DEMO_ID, get_widget

DEMO_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "frame-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


def build_demo(rt: Runtime) -> APIRouter:
    router = APIRouter(tags=["widget"])

    @router.get("/", summary="Demo page with the chat widget", response_class=HTMLResponse)
    def demo(request: Request) -> HTMLResponse:
        """A stand-in host page that embeds the demo widget, with what to try."""
        with rt.session() as session:
            widget = get_widget(session=session, public_id=DEMO_ID)
            session.commit()  # ends the read, keeps `widget` loaded
        loader_url = str(request.url_for("widget_js"))
        html = render(
            "demo.html",
            widget=widget,
            loader_url=loader_url,
            embed_tag=(
                f'<script src="{loader_url}" data-baton-widget="{widget.public_id}" async></script>'
            ),
            docs_url=str(request.base_url) + "docs",
            style_url=request.url_for("widget_asset", name="demo.css").path,
            loader_version=LOADER_VERSION,
        )
        return HTMLResponse(html, headers={"Content-Security-Policy": DEMO_CSP})

    return router
