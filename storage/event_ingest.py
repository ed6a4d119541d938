"""Ingesting behaviour events from marketing systems, one or many in one transaction.

Each event names its lead by id or by email (an unknown email creates the lead, with its source
taken from the event's UTM fields). Every lead that gained an event is re-scored once, after all
of the batch is stored, so a batch costs one re-score per lead rather than one per event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from qualification.errors import InvalidInput
from qualification.lifecycle import Actor
from qualification.rules import RuleSet
from qualification.stages import EventKind
from storage.events import store_event
from storage.leads import find_lead_by_email, upsert_lead
from storage.ledger import rescore_lead
from storage.models import Lead, LeadCreate

# Clocks disagree a little; an event further in the future than this is a mistake.
FUTURE_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class EventInput:
    """One behaviour event as a marketing system reports it."""

    kind: EventKind
    occurred_at: datetime
    email: str | None = None
    lead_id: int | None = None
    asset: str | None = None
    url: str | None = None
    idempotency_key: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    utm_campaign: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_content: str | None = None

    def new_lead(self, email: str) -> LeadCreate:
        """The lead to create for an unknown email, its source taken from the UTM fields."""
        asset = self.utm_content or self.asset
        channel = self.utm_medium or self.utm_source
        return LeadCreate(
            email=email,
            source_campaign=self.utm_campaign[:200] if self.utm_campaign else None,
            source_asset=asset[:200] if asset else None,
            source_channel=channel[:100] if channel else None,
        )


@dataclass(frozen=True)
class EventOutcome:
    """What happened to one event: stored or a duplicate of an earlier one, and its lead."""

    index: int
    event_id: int
    created: bool
    lead: Lead
    lead_created: bool


def _lead_for(*, session: Session, item: EventInput, index: int, actor: Actor) -> tuple[Lead, bool]:
    if (item.email is None) == (item.lead_id is None):
        raise InvalidInput(f"event {index}: give either email or lead_id")
    if item.lead_id is not None:
        lead = session.get(Lead, item.lead_id)
        if lead is None:
            raise InvalidInput(f"event {index}: lead_id: no lead with id {item.lead_id}")
        return lead, False
    email = item.email or ""
    found = find_lead_by_email(session=session, email=email)
    if found is not None:
        return found, False
    return upsert_lead(session=session, data=item.new_lead(email), actor=actor)


def ingest_events(
    *,
    session: Session,
    events: Sequence[EventInput],
    rules: RuleSet,
    now: datetime,
    actor: Actor,
) -> list[EventOutcome]:
    """Store every event (a repeated idempotency key is a duplicate, not an error) and re-score
    each lead that changed. Raises InvalidInput naming the event's index; the caller then rolls
    back, so a batch is applied entirely or not at all."""
    outcomes: list[EventOutcome] = []
    changed: dict[int, Lead] = {}
    for index, item in enumerate(events):
        if item.occurred_at > now + FUTURE_SLACK:
            raise InvalidInput(f"event {index}: occurred_at {item.occurred_at} is in the future")
        lead, lead_created = _lead_for(session=session, item=item, index=index, actor=actor)
        event, created = store_event(
            session=session,
            lead=lead,
            kind=item.kind,
            occurred_at=item.occurred_at,
            asset=item.asset,
            url=item.url,
            idempotency_key=item.idempotency_key,
            properties=item.properties,
        )
        if created or lead_created:
            changed[lead.id or 0] = lead
        outcomes.append(
            EventOutcome(
                index=index,
                event_id=event.id or 0,
                created=created,
                lead=lead,
                lead_created=lead_created,
            )
        )
    # In id order, so concurrent batches lock shared leads in the same order (no deadlock).
    for lead_id in sorted(changed):
        rescore_lead(
            session=session,
            lead=changed[lead_id],
            rules=rules,
            now=now,
            actor=Actor.system("scoring"),
        )
    return outcomes
