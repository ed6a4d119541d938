"""Slack deliveries already applied, so a retried delivery (any worker) is applied once."""

from __future__ import annotations

from sqlmodel import Session

from storage.models import SlackEvent
from storage.savepoint import try_insert


def claim_slack_event(*, session: Session, event_id: str, kind: str) -> bool:
    """Record `event_id` as applied; False if it already was (by this or another worker)."""
    return try_insert(session, SlackEvent(event_id=event_id[:200], kind=kind[:64])) is None
