"""Slack deliveries already applied, so a retried delivery (any worker) is applied once."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from storage.db import is_postgres
from storage.models import SlackEvent, utcnow


def claim_slack_event(*, session: Session, event_id: str, kind: str) -> bool:
    """Record `event_id` as applied; False if it already was (by this or another worker).

    One `INSERT … ON CONFLICT DO NOTHING`: a message's claim is part of the transaction Slack's
    200 waits for, where a savepoint around a plain insert would cost two more statements."""
    insert = postgresql.insert if is_postgres(session) else sqlite.insert
    statement = (
        insert(SlackEvent)
        .values(event_id=event_id[:200], kind=kind[:64], received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(col(SlackEvent.id))
    )
    return session.execute(statement).first() is not None
