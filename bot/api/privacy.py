"""/api/v1/leads/{id}/export and DELETE /api/v1/leads/{id}: a person's data on request.

Both need an API key with the `privacy` scope: an export holds every transcript, and an
erasure cannot be undone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from bot.api.deps import SessionDep, require_scopes
from bot.api.leads import api_actor
from bot.api.params import LeadId
from storage.apikeys import PRIVACY
from storage.models import ApiKey
from storage.privacy import erase_lead, export_lead

PrivacyKey = Annotated[ApiKey, Depends(require_scopes(PRIVACY))]
Rows = list[dict[str, Any]]


class LeadExportOut(BaseModel):
    """Everything Baton holds about a person; datetimes are ISO 8601 in UTC."""

    exported_at: datetime
    lead: dict[str, Any] = Field(description="Contact, company, source, stage and score.")
    merged_lead_ids: list[int] = Field(
        description="Anonymous website leads that were folded into this one."
    )
    stage_history: Rows = Field(description="Every stage move: who, when, why.")
    answers: Rows = Field(description="Every BANT answer, superseded ones too, raw and parsed.")
    conversations: Rows = Field(description="Every conversation with all of its messages.")
    behaviour_events: Rows
    score_ledger: Rows
    handoff_requests: Rows
    visitors: Rows = Field(description="Website visitors with the page context they came from.")
    slack_threads: Rows
    slack_posts: Rows = Field(description="Slack messages Baton posted about the lead.")
    live_chats: Rows = Field(description="Live chats with an SDR (transcripts: conversations).")
    follow_ups: Rows = Field(description="Requests to be contacted later.")
    outbox: Rows = Field(description="Queued and sent notifications that mention the lead.")
    erasures: Rows = Field(
        description="The erasure log's entries for this lead: who, when, basis, counts."
    )


class ErasureOut(BaseModel):
    """What an erasure removed; `nothing_left` when there was nothing (more) to remove."""

    lead_id: int | None
    nothing_left: bool
    removed: dict[str, int] = Field(description="Rows deleted or scrubbed, by kind.")
    merged_lead_ids: list[int]
    erasure_id: int | None = Field(description="The erasure log's entry for this erasure.")
    audit_id: int | None = Field(description="The outbox event `lead.erased` (webhooks).")
    note: str


def build_privacy_router() -> APIRouter:
    router = APIRouter(prefix="/leads", tags=["privacy"])

    @router.get(
        "/{lead_id}/export",
        response_model=LeadExportOut,
        summary="Export everything Baton holds about a lead (a data access request)",
    )
    def export(lead_id: LeadId, _key: PrivacyKey, session: SessionDep) -> LeadExportOut:
        """Lead fields, stage history, answers, transcripts, events, score ledger, handoff
        requests, widget visits, Slack threads and posts, and outbox items about the lead."""
        return LeadExportOut.model_validate(export_lead(session=session, lead_id=lead_id))

    @router.delete(
        "/{lead_id}",
        response_model=ErasureOut,
        summary="Erase a lead's personal data everywhere Baton keeps it",
    )
    def erase(lead_id: LeadId, key: PrivacyKey, session: SessionDep) -> ErasureOut:
        """One transaction. The lead stays as an anonymous tombstone (id, stage, source, dates)
        so funnel numbers do not change; the erasure log records who erased it, when and how
        many rows went (`erasure_id`), and webhook endpoints subscribed to `lead.erased` hear
        of it (ids, time and counts only).
        Repeating the call is harmless and answers `nothing_left: true`. Messages already
        posted to Slack stay in Slack."""
        report = erase_lead(session=session, lead_id=lead_id, actor=api_actor(key))
        session.commit()
        return ErasureOut.model_validate(report.to_json())

    return router
