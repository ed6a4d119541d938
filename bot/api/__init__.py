"""The REST API for marketing systems (JSON, OpenAPI at /docs)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from bot.api.events import build_events_router
from bot.api.imports import build_imports_router
from bot.api.leads import build_leads_router
from bot.api.params import refuse_nul
from bot.api.privacy import build_privacy_router
from bot.runtime import Runtime


def build_api_router(runtime: Runtime) -> APIRouter:
    """All /api/v1 routes. Handlers reach `runtime` through the app's state (see deps.py)."""
    del runtime
    router = APIRouter(prefix="/api/v1", dependencies=[Depends(refuse_nul)])
    router.include_router(build_leads_router())
    router.include_router(build_events_router())
    router.include_router(build_imports_router())
    router.include_router(build_privacy_router())
    return router
