"""Behaviour events from marketing systems; each re-scores its lead, once per idempotency key."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, select

from qualification.lifecycle import Actor
from qualification.rules import RuleSet
from qualification.stages import EventKind
from storage.hot_leads import note_new_event
from storage.ledger import rescore_lead
from storage.models import BehaviourEvent, Lead
from storage.savepoint import try_insert


def _by_key(session: Session, key: str) -> BehaviourEvent | None:
    return session.exec(select(BehaviourEvent).where(BehaviourEvent.idempotency_key == key)).first()


def record_event(
    *,
    session: Session,
    lead: Lead,
    kind: EventKind,
    occurred_at: datetime,
    rules: RuleSet,
    now: datetime,
    asset: str | None = None,
    url: str | None = None,
    idempotency_key: str | None = None,
    properties: dict[str, Any] | None = None,
) -> tuple[BehaviourEvent, bool]:
    """Store the event, note the activity and re-score the lead.

    A repeated idempotency key changes nothing and returns the first event with created=False,
    also when two deliveries race (the unique key decides; the loser reads the winner).
    """
    event, created = store_event(
        session=session,
        lead=lead,
        kind=kind,
        occurred_at=occurred_at,
        asset=asset,
        url=url,
        idempotency_key=idempotency_key,
        properties=properties,
    )
    if created:
        rescore_lead(
            session=session, lead=lead, rules=rules, now=now, actor=Actor.system("scoring")
        )
    return event, created


def store_event(
    *,
    session: Session,
    lead: Lead,
    kind: EventKind,
    occurred_at: datetime,
    asset: str | None = None,
    url: str | None = None,
    idempotency_key: str | None = None,
    properties: dict[str, Any] | None = None,
) -> tuple[BehaviourEvent, bool]:
    """Store the event and note the activity without re-scoring, for callers that ingest many
    events and re-score each lead once at the end. Idempotent like `record_event`."""
    if occurred_at.tzinfo is None:
        occurred_at = occurred_at.replace(tzinfo=UTC)
    event = BehaviourEvent(
        lead_id=lead.id or 0,
        kind=kind,
        occurred_at=occurred_at,
        asset=asset,
        url=url,
        idempotency_key=idempotency_key or None,
        properties=properties or {},
    )
    # No look-up first: the unique key decides, so a repeat and a racing delivery take the same
    # path (on PostgreSQL the insert waits for the other transaction, then fails here).
    refused = try_insert(session, event)
    if refused is not None:
        winner = _by_key(session, idempotency_key) if idempotency_key else None
        if winner is None:
            raise refused
        return winner, False
    if lead.last_activity_at is None or occurred_at > lead.last_activity_at:
        lead.last_activity_at = occurred_at
        session.add(lead)
    note_new_event(session=session, lead=lead, event=event)
    return event, True
