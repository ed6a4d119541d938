"""`GET /widget/{id}/frame`: the chat page inside the iframe, and its script and stylesheet."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from bot.runtime import Runtime
from bot.widget.guard import allowed, load_widget, own_origin
from bot.widget.templating import STATIC_DIR, render
from qualification.errors import NotFound, PermissionDenied

ASSETS = {
    "frame.js": "text/javascript; charset=utf-8",
    "frame.css": "text/css; charset=utf-8",
    "demo.css": "text/css; charset=utf-8",
}


@lru_cache(maxsize=len(ASSETS))
def _asset(name: str) -> tuple[bytes, str]:
    body = (STATIC_DIR / name).read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def frame_csp(frame_ancestors: list[str]) -> str:
    """Only Baton's own script, style and endpoints; framed only by the allowed origins."""
    ancestors = " ".join(["'self'", *frame_ancestors])
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        f"frame-ancestors {ancestors}"
    )


def build_frame(rt: Runtime) -> APIRouter:
    router = APIRouter(tags=["widget"])

    @router.get(
        "/widget/{widget_id}/frame",
        name="widget_frame",
        summary="The chat page shown in the widget's iframe",
        response_class=HTMLResponse,
    )
    def frame(
        widget_id: str,
        request: Request,
        origin: str | None = Query(default=None, max_length=300),
    ) -> HTMLResponse:
        """`origin` is the embedding page's origin; it must be one the widget allows."""
        widget = load_widget(rt, request, widget_id)
        parent = origin or own_origin(request)
        if not allowed(request, widget, parent):
            raise PermissionDenied("the embedding page's origin is not allowed for this widget")
        config = {
            "widget_id": widget.public_id,
            "parent_origin": parent,
            "greeting": widget.greeting,
            "consent_text": widget.consent_text,
            "theme": widget.theme,
            "session_url": request.url_for("widget_session", widget_id=widget.public_id).path,
            "turn_url": request.url_for("widget_turn", widget_id=widget.public_id).path,
            "restart_url": request.url_for("widget_restart", widget_id=widget.public_id).path,
            "live_url": request.url_for("widget_live", widget_id=widget.public_id).path,
            "followup_url": request.url_for("widget_followup", widget_id=widget.public_id).path,
            "messages_url": request.url_for("widget_messages", widget_id=widget.public_id).path,
            "stream_url": request.url_for("widget_stream", widget_id=widget.public_id).path,
        }
        html = render(
            "widget/frame.html",
            widget=widget,
            config_json=json.dumps(config),
            script_url=request.url_for("widget_asset", name="frame.js").path,
            style_url=request.url_for("widget_asset", name="frame.css").path,
        )
        return HTMLResponse(
            html,
            headers={
                "Content-Security-Policy": frame_csp(widget.allowed_origins),
                "Cache-Control": "no-store",
                "Referrer-Policy": "no-referrer",
            },
        )

    @router.get(
        "/widget-assets/{name}",
        name="widget_asset",
        summary="The chat page's script and stylesheet",
        response_class=Response,
    )
    def asset(name: str, request: Request) -> Response:
        if name not in ASSETS:
            raise NotFound(f"no widget asset {name!r}")
        body, etag = _asset(name)
        headers = {"ETag": etag, "Cache-Control": "public, max-age=300, must-revalidate"}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=ASSETS[name], headers=headers)

    return router
