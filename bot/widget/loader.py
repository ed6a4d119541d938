"""`GET /widget.js`: the loader script a site embeds with one tag."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from fastapi import APIRouter, Request, Response

from bot.widget.templating import STATIC_DIR

# Bumped whenever the loader's behaviour or its messages to the frame change.
LOADER_VERSION = "1.0.0"


@lru_cache(maxsize=1)
def loader_source() -> tuple[bytes, str]:
    """The loader's bytes with its version filled in, and their ETag."""
    text = (STATIC_DIR / "loader.js").read_text(encoding="utf-8")
    body = text.replace("__BATON_LOADER_VERSION__", LOADER_VERSION).encode("utf-8")
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def build_loader() -> APIRouter:
    router = APIRouter(tags=["widget"])

    @router.get(
        "/widget.js",
        name="widget_js",
        summary="The embeddable loader script",
        response_class=Response,
        responses={200: {"content": {"text/javascript": {}}}, 304: {"description": "Unchanged"}},
    )
    def widget_js(request: Request) -> Response:
        """Small and dependency-free; cacheable, revalidated with its ETag."""
        body, etag = loader_source()
        headers = {
            "ETag": etag,
            "Cache-Control": "public, max-age=300, must-revalidate",
            "X-Baton-Loader-Version": LOADER_VERSION,
            "Cross-Origin-Resource-Policy": "cross-origin",
        }
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="text/javascript; charset=utf-8", headers=headers)

    return router
