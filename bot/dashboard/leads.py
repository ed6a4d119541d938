"""`/dashboard/leads`: the pipeline (with a CSV export of the current view) and a lead's page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from bot.dashboard.approvals import DecisionNotice, actor_label
from bot.dashboard.deps import CurrentUser, DashboardDep
from bot.dashboard.exports import pipeline_csv
from bot.dashboard.pages import render_page
from bot.dashboard.routing import DashboardRoute
from qualification.errors import InvalidInput
from qualification.stages import Stage
from storage.lead_detail import lead_detail
from storage.models import User
from storage.pipeline import (
    PipelineQuery,
    lead_owners,
    pipeline_page,
    pipeline_rows,
    source_channels,
)

PER_PAGE = 50
MAX_SEARCH = 200

StageParam = Annotated[str, Query(description="A stage, or empty for all")]
OwnerParam = Annotated[str, Query(description='"me", "none" (unassigned), a user id, or empty')]
SourceParam = Annotated[str, Query(description="A source channel, or empty for all")]
SearchParam = Annotated[str, Query(description="Part of a name, email or company")]


def pipeline_query(*, user: User, stage: str, owner: str, source: str, q: str) -> PipelineQuery:
    """The pipeline query of the page's filter form; InvalidInput for values it never sends."""
    stage = stage.strip()
    if stage and stage not in {s.value for s in Stage}:
        raise InvalidInput(f"there is no stage {stage!r}")
    owner = owner.strip()
    owner_id: int | None = None
    if owner == "me":
        owner_id = user.id
    elif owner.isdigit():
        owner_id = int(owner)
    elif owner not in ("", "none"):
        raise InvalidInput("owner must be me, none or a user id")
    if len(q) > MAX_SEARCH:
        raise InvalidInput(f"search for at most {MAX_SEARCH} characters")
    return PipelineQuery(
        stage=Stage(stage) if stage else None,
        owner_id=owner_id,
        unassigned=owner == "none",
        source_channel=source.strip() or None,
        search=q.strip(),
    )


def build_leads_router() -> APIRouter:
    router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)

    @router.get("/leads", name="dashboard_pipeline", response_class=HTMLResponse)
    def pipeline(
        request: Request,
        user: CurrentUser,
        dashboard: DashboardDep,
        stage: StageParam = "",
        owner: OwnerParam = "",
        source: SourceParam = "",
        q: SearchParam = "",
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    ) -> Response:
        """Leads by stage with counts, owner, score, source and last activity."""
        query = pipeline_query(user=user, stage=stage, owner=owner, source=source, q=q)
        with dashboard.runtime.session() as session:
            result = pipeline_page(session=session, query=query, page=page, per_page=PER_PAGE)
            owners = lead_owners(session=session)
            sources = source_channels(session=session)
            session.commit()
        filters = {"stage": stage, "owner": owner, "source": source, "q": q.strip()}
        return render_page(
            request,
            "pipeline.html",
            user=user,
            active="pipeline",
            result=result,
            filters=filters,
            stages=[s.value for s in Stage],
            owners=owners,
            sources=sources,
        )

    @router.get("/leads.csv", name="dashboard_pipeline_csv")
    def pipeline_export(
        user: CurrentUser,
        dashboard: DashboardDep,
        stage: StageParam = "",
        owner: OwnerParam = "",
        source: SourceParam = "",
        q: SearchParam = "",
    ) -> Response:
        """The pipeline's current view (every page of it) as CSV."""
        query = pipeline_query(user=user, stage=stage, owner=owner, source=source, q=q)
        with dashboard.runtime.session() as session:
            body = pipeline_csv(pipeline_rows(session=session, query=query))
            session.commit()
        filename = f"baton-leads-{datetime.now(UTC):%Y%m%d-%H%M}.csv"
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @router.get("/leads/{lead_id}", name="dashboard_lead", response_class=HTMLResponse)
    def lead(
        lead_id: int,
        request: Request,
        user: CurrentUser,
        dashboard: DashboardDep,
        notice: DecisionNotice,
    ) -> Response:
        """Contact, company, stage with its audit trail, BANT answers, score ledger, behaviour,
        transcripts and the pending handoff request of one lead (managers decide it here)."""
        with dashboard.runtime.session() as session:
            detail = lead_detail(session=session, lead_id=lead_id)
            session.commit()
        return render_page(
            request,
            "lead.html",
            user=user,
            active="pipeline",
            detail=detail,
            notice=notice,
            who=actor_label,
        )

    return router
