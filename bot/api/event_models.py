"""Request and response bodies of the events API."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.api.params import MAX_INT, as_utc
from qualification.contactfields import check_email
from qualification.stages import EventKind, Stage
from storage.event_ingest import EventInput, EventOutcome

MAX_BATCH = 1000


class EventIn(BaseModel):
    """A behaviour event about a lead named by `email` (created if unknown) or `lead_id`."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=320)
    lead_id: int | None = Field(default=None, ge=1, le=MAX_INT)
    kind: EventKind
    occurred_at: datetime = Field(
        default_factory=lambda: datetime.now(UTC),
        description="ISO 8601; without a time zone it is UTC. Defaults to when Baton receives it.",
    )
    asset: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=2000)
    idempotency_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Sending the same key again is reported as a duplicate and changes nothing.",
    )
    properties: dict[str, Any] = Field(default_factory=dict)
    utm_campaign: str | None = Field(default=None, max_length=200)
    utm_source: str | None = Field(default=None, max_length=100)
    utm_medium: str | None = Field(default=None, max_length=100)
    utm_content: str | None = Field(default=None, max_length=200)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else check_email(value)

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value)

    @field_validator("properties")
    @classmethod
    def _plain_json(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            json.dumps(value, allow_nan=False)
        except ValueError:
            raise ValueError("properties may not hold NaN or Infinity: JSON has neither") from None
        return value

    @model_validator(mode="after")
    def _one_lead(self) -> EventIn:
        if (self.email is None) == (self.lead_id is None):
            raise ValueError("give either email or lead_id (exactly one)")
        return self

    def to_input(self) -> EventInput:
        return EventInput(**self.model_dump())


class EventBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events: list[EventIn] = Field(min_length=1, max_length=MAX_BATCH)


class EventResult(BaseModel):
    """What happened to one event, and its lead's score and stage after the whole request."""

    index: int
    status: str = Field(description="created, or duplicate (the idempotency key was seen).")
    event_id: int
    lead_id: int
    lead_created: bool
    score: int
    stage: Stage

    @classmethod
    def of(cls, outcome: EventOutcome) -> EventResult:
        return cls(
            index=outcome.index,
            status="created" if outcome.created else "duplicate",
            event_id=outcome.event_id,
            lead_id=outcome.lead.id or 0,
            lead_created=outcome.lead_created,
            score=outcome.lead.score,
            stage=outcome.lead.stage,
        )


class EventBatchOut(BaseModel):
    created: int
    duplicates: int
    results: list[EventResult]
