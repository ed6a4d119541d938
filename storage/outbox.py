"""The outbox: side effects that leave the process, written in the caller's transaction.

A worker delivers pending items after the transaction commits, so a rolled-back change never
notifies anyone and a committed one is never lost.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from storage.models import OutboxItem
from storage.savepoint import try_insert
from storage.webhook_events import fan_out

# A domain event (its topic says which); the worker fans it out to webhooks and Slack.
EVENT = "event"


def enqueue(
    *,
    session: Session,
    kind: str,
    topic: str,
    payload: dict[str, Any],
    dedupe_key: str | None = None,
) -> OutboxItem:
    """Queue a side effect; a worker delivers it after the transaction commits.

    With a `dedupe_key`, queuing the same thing again returns the first item instead.
    A new domain event is also queued for each webhook endpoint that receives it.
    """
    item = OutboxItem(kind=kind, topic=topic, payload=payload, dedupe_key=dedupe_key)
    if dedupe_key is None:
        session.add(item)
        fan_out(session=session, event=item)
        return item
    existing = _by_dedupe_key(session, dedupe_key)
    if existing is not None:
        return existing
    refused = try_insert(session, item)
    if refused is not None:
        existing = _by_dedupe_key(session, dedupe_key)
        if existing is None:
            raise refused
        return existing
    fan_out(session=session, event=item)
    return item


def _by_dedupe_key(session: Session, key: str) -> OutboxItem | None:
    return session.exec(select(OutboxItem).where(OutboxItem.dedupe_key == key)).first()
