"""/api/v1/imports: CSV files of leads or behaviour events, applied entirely or not at all."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from bot.api.deps import RuntimeDep, require_scopes
from bot.api.leads import api_actor
from bot.api.uploads import uploaded_file
from storage.apikeys import EVENTS_WRITE, LEADS_WRITE
from storage.imports import ImportKind, ImportReport, import_csv
from storage.models import ApiKey

_CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


class RejectedRowOut(BaseModel):
    line: int
    reasons: list[str]


class ImportReportOut(BaseModel):
    """What the import did. `applied` is false when rows were rejected and nothing was stored."""

    kind: ImportKind
    applied: bool
    rows: int
    imported: int
    rejected: list[RejectedRowOut]
    leads_created: int
    leads_updated: int
    events_created: int
    events_duplicate: int
    leads_scored: int

    @classmethod
    def of(cls, report: ImportReport) -> ImportReportOut:
        return cls(
            kind=report.kind,
            applied=report.applied,
            rows=report.rows,
            imported=report.imported if report.applied else 0,
            rejected=[
                RejectedRowOut(line=r.line, reasons=list(r.reasons)) for r in report.rejected
            ],
            leads_created=report.leads_created,
            leads_updated=report.leads_updated,
            events_created=report.events_created,
            events_duplicate=report.events_duplicate,
            leads_scored=report.leads_scored,
        )


SkipInvalid = Annotated[bool, Query(description="Import the valid rows even if some are rejected.")]


def _run(rt: RuntimeDep, data: bytes, kind: ImportKind, key: ApiKey, skip: bool) -> JSONResponse:
    with rt.session() as session:
        report = import_csv(
            session=session,
            data=data,
            kind=kind,
            rules=rt.rules,
            now=datetime.now(UTC),
            actor=api_actor(key),
            skip_invalid=skip,
        )
        if report.applied:
            session.commit()
    body = ImportReportOut.of(report)
    return JSONResponse(status_code=200 if report.applied else 422, content=body.model_dump())


def build_imports_router() -> APIRouter:
    router = APIRouter(prefix="/imports", tags=["imports"])
    responses: dict[int | str, dict[str, Any]] = {
        422: {"model": ImportReportOut, "description": "Rows were rejected; nothing was stored."}
    }

    @router.post(
        "/leads",
        response_model=ImportReportOut,
        summary="Import a CSV file of leads (created or updated by email)",
        openapi_extra=_CSV_BODY,
        responses=responses,
    )
    async def import_leads(
        request: Request,
        key: Annotated[ApiKey, Depends(require_scopes(LEADS_WRITE))],
        rt: RuntimeDep,
        skip_invalid: SkipInvalid = False,
    ) -> JSONResponse:
        """Columns: email (required), name, title, company_name, company_domain, industry,
        employee_count, annual_revenue, country, source_campaign, source_asset, source_channel."""
        data = await uploaded_file(request)
        return await run_in_threadpool(_run, rt, data, ImportKind.LEADS, key, skip_invalid)

    @router.post(
        "/events",
        response_model=ImportReportOut,
        summary="Import a CSV file of behaviour events",
        openapi_extra=_CSV_BODY,
        responses=responses,
    )
    async def import_events(
        request: Request,
        key: Annotated[ApiKey, Depends(require_scopes(EVENTS_WRITE))],
        rt: RuntimeDep,
        skip_invalid: SkipInvalid = False,
    ) -> JSONResponse:
        """Columns: email, kind, occurred_at (required), asset, url, idempotency_key."""
        data = await uploaded_file(request)
        return await run_in_threadpool(_run, rt, data, ImportKind.EVENTS, key, skip_invalid)

    return router
