"""Request and response bodies of the leads API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.api.params import MAX_INT
from qualification.contactfields import check_country, check_email
from storage.models import LeadCreate, LeadPublic


class LeadUpsert(LeadCreate):
    """A lead to create, or to update when a lead with this email exists (only the fields sent
    are changed)."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    email: str = Field(max_length=320, description="Work email; leads are unique by email.")
    employee_count: int | None = Field(default=None, ge=0, le=MAX_INT)
    annual_revenue: float | None = Field(default=None, ge=0, allow_inf_nan=False)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return check_email(value)

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        return None if value is None else check_country(value)


class AnswerOut(BaseModel):
    dimension: str
    raw_text: str
    summary: str
    status: str
    confidence: float
    given_by: str
    superseded: bool
    at: datetime


class LedgerLineOut(BaseModel):
    rule_id: str
    category: str
    points: int
    cause: str
    note: str
    rules_version: str
    at: datetime


class StageLineOut(BaseModel):
    from_stage: str
    to_stage: str
    actor: str
    reason: str
    at: datetime


class EventLineOut(BaseModel):
    kind: str
    asset: str | None
    url: str | None
    at: datetime


class ConversationLineOut(BaseModel):
    id: int
    channel: str
    flow: str
    status: str
    state: str
    started: datetime


class LeadReportOut(BaseModel):
    """Everything known about a lead: its fields, BANT answers, the score ledger behind its
    score, its stage history (audit trail), behaviour events and conversations."""

    lead: LeadPublic
    score: int
    score_by_category: dict[str, int]
    answers: list[AnswerOut]
    ledger: list[LedgerLineOut]
    stages: list[StageLineOut]
    events: list[EventLineOut]
    conversations: list[ConversationLineOut]
    pending_handoff: dict[str, Any] | None


class LeadPageOut(BaseModel):
    """One page of leads; pass `next_cursor` back as `cursor` for the next (null: last page)."""

    items: list[LeadPublic]
    next_cursor: str | None
