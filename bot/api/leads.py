"""/api/v1/leads: create or upsert, read with everything known, list with filters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from bot.api.deps import RuntimeDep, SessionDep, require_scopes
from bot.api.lead_models import LeadPageOut, LeadReportOut, LeadUpsert
from bot.api.params import MAX_INT, LeadId, UtcMoment
from qualification.errors import NotFound
from qualification.lifecycle import Actor, ActorKind
from qualification.stages import Stage
from storage.apikeys import LEADS_READ, LEADS_WRITE
from storage.lead_queries import MAX_PAGE, LeadFilter, list_leads
from storage.lead_report import lead_report
from storage.lead_sync import sync_lead
from storage.leads import find_lead_by_email
from storage.models import ApiKey, LeadPublic

Reader = Annotated[ApiKey, Depends(require_scopes(LEADS_READ))]
Writer = Annotated[ApiKey, Depends(require_scopes(LEADS_WRITE))]


def api_actor(key: ApiKey) -> Actor:
    """The audit-log actor for changes made with an API key (a marketing system)."""
    return Actor(kind=ActorKind.MARKETING, label=f"api key {key.prefix} ({key.name})"[:150])


def build_leads_router() -> APIRouter:
    router = APIRouter(prefix="/leads", tags=["leads"])

    @router.post(
        "",
        response_model=LeadPublic,
        status_code=status.HTTP_201_CREATED,
        summary="Create a lead, or update the lead with the same email",
        responses={200: {"model": LeadPublic, "description": "An existing lead was updated."}},
    )
    def upsert(
        body: LeadUpsert,
        response: Response,
        key: Writer,
        rt: RuntimeDep,
        session: SessionDep,
    ) -> LeadPublic:
        """201 with the new lead, or 200 with the existing lead after setting the fields sent."""
        lead, created = sync_lead(
            session=session, data=body, actor=api_actor(key), rules=rt.rules, now=datetime.now(UTC)
        )
        session.commit()
        if not created:
            response.status_code = status.HTTP_200_OK
        return LeadPublic.model_validate(lead, from_attributes=True)

    @router.get(
        "",
        response_model=LeadPageOut,
        summary="List leads by stage, source, score and last update, page by page",
    )
    def list_(
        _key: Reader,
        session: SessionDep,
        stage: Annotated[list[Stage] | None, Query(description="Repeat for several.")] = None,
        source_campaign: str | None = None,
        source_asset: str | None = None,
        source_channel: str | None = None,
        score_min: Annotated[int | None, Query(ge=-MAX_INT, le=MAX_INT)] = None,
        score_max: Annotated[int | None, Query(ge=-MAX_INT, le=MAX_INT)] = None,
        updated_since: Annotated[
            UtcMoment | None, Query(description="ISO 8601; leads updated at or after it.")
        ] = None,
        cursor: Annotated[
            str | None, Query(description="`next_cursor` of the page before.")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    ) -> LeadPageOut:
        """Ordered by (updated_at, id); walk every page with `cursor` until it is null."""
        page = list_leads(
            session=session,
            filters=LeadFilter(
                stages=tuple(stage or ()),
                source_campaign=source_campaign,
                source_asset=source_asset,
                source_channel=source_channel,
                score_min=score_min,
                score_max=score_max,
                updated_since=updated_since,
            ),
            cursor=cursor,
            limit=limit,
        )
        return LeadPageOut(
            items=[LeadPublic.model_validate(lead, from_attributes=True) for lead in page.leads],
            next_cursor=page.next_cursor,
        )

    @router.get(
        "/by-email/{email}",
        response_model=LeadReportOut,
        summary="Read a lead by email, with answers, score breakdown, stages and conversations",
    )
    def read_by_email(email: str, _key: Reader, session: SessionDep) -> LeadReportOut:
        lead = find_lead_by_email(session=session, email=email)
        if lead is None or lead.id is None:
            raise NotFound(f"no lead with email {email!r}")
        return LeadReportOut.model_validate(lead_report(session=session, lead_id=lead.id).to_json())

    @router.get(
        "/{lead_id}",
        response_model=LeadReportOut,
        summary="Read a lead with its answers, score breakdown, stages and conversations",
    )
    def read(lead_id: LeadId, _key: Reader, session: SessionDep) -> LeadReportOut:
        return LeadReportOut.model_validate(lead_report(session=session, lead_id=lead_id).to_json())

    return router
