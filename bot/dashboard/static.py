"""`/dashboard/static/…`: the dashboard's stylesheet (no login needed: it holds no data)."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request, Response

from bot.dashboard.routing import DashboardRoute
from qualification.errors import NotFound

STATIC_DIR = Path(__file__).resolve().parent / "static"
ASSETS = {"dashboard.css": "text/css; charset=utf-8"}


@lru_cache(maxsize=len(ASSETS))
def _asset(name: str) -> tuple[bytes, str]:
    body = (STATIC_DIR / name).read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def build_static_router() -> APIRouter:
    router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)

    @router.get("/static/{name}", name="dashboard_asset")
    def asset(name: str, request: Request) -> Response:
        if name not in ASSETS:
            raise NotFound(f"no dashboard file {name!r}")
        body, etag = _asset(name)
        headers = {"ETag": etag, "Cache-Control": "public, max-age=300, must-revalidate"}
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type=ASSETS[name], headers=headers)

    return router
