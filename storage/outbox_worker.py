"""Delivering the outbox: claiming due items, recording success, backing off on failure.

Pure database logic; whoever delivers (HTTP, Slack) calls these in short transactions.
Claiming leases an item by moving its `next_attempt_at` forward, so an item whose worker
crashed becomes due again when the lease runs out.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from qualification.errors import InvalidInput, NotFound
from storage.db import is_postgres
from storage.models import OutboxItem, utcnow

PENDING = "pending"
DONE = "done"
DEAD = "dead"

MAX_ERROR_CHARS = 2000
MAX_ATTEMPTS = 8
BASE_DELAY_SECONDS = 5.0
MAX_DELAY_SECONDS = 3600.0
# A due item no worker has taken for this long is overdue: the workers are down or behind.
OVERDUE_AFTER = timedelta(minutes=5)
_JITTER = random.Random()

# Credentials that error messages from HTTP clients tend to echo back.
_SECRETS = [
    (re.compile(r"xox[a-z]-[A-Za-z0-9-]+"), "xox?-[redacted]"),
    (re.compile(r"xapp-[A-Za-z0-9-]+"), "xapp-[redacted]"),
    (re.compile(r"(bk_[0-9a-f]{8})_[A-Za-z0-9_-]+"), r"\1_[redacted]"),
    (re.compile(r"(?i)(bearer\s+)\S+"), r"\1[redacted]"),
    (re.compile(r"(://[^:/@\s]+):[^@\s]+@"), r"\1:[redacted]@"),
]


def claim_batch(
    *, session: Session, now: datetime, limit: int = 20, lease_seconds: int = 60
) -> list[OutboxItem]:
    """Lease up to `limit` due items, oldest first; the caller commits to make the lease hold.

    On PostgreSQL rows locked by another worker are skipped, so workers get disjoint batches;
    SQLite serializes writers, so a plain select is enough there.
    """
    query = (
        select(OutboxItem)
        .where(OutboxItem.status == PENDING, OutboxItem.next_attempt_at <= now)
        .order_by(col(OutboxItem.id))
        .limit(limit)
    )
    if is_postgres(session):
        query = query.with_for_update(skip_locked=True)
    items = list(session.exec(query).all())
    lease_until = now + timedelta(seconds=lease_seconds)
    for item in items:
        item.next_attempt_at = lease_until
        session.add(item)
    session.flush()
    return items


def _get(session: Session, item_id: int) -> OutboxItem:
    item = session.get(OutboxItem, item_id)
    if item is None:
        raise NotFound(f"no outbox item {item_id}")
    return item


def settle_undelivered(item: OutboxItem, *, now: datetime) -> None:
    """Mark a claimed item that nobody delivers (its topic has no handler) done, as a delivery
    would; the caller's session writes it."""
    item.status = DONE
    item.delivered_at = now


def mark_done(*, session: Session, item_id: int, now: datetime) -> OutboxItem:
    """Record a delivery; the item is never attempted again."""
    item = _get(session, item_id)
    settle_undelivered(item, now=now)
    session.add(item)
    session.flush()
    return item


def backoff_seconds(attempts: int, *, rng: random.Random | None = None) -> float:
    """Delay before attempt number `attempts + 1`: doubling from 5 s, jittered, at most 1 hour."""
    base = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2.0 ** max(attempts - 1, 0))
    # Jitter in [75%, 100%] spreads retries out while each delay still exceeds the one before.
    jitter = (rng or _JITTER).uniform(0.75, 1.0)
    return base * jitter


def scrub_error(error: str) -> str:
    """The error text without credentials, cut to what the column holds."""
    for pattern, replacement in _SECRETS:
        error = pattern.sub(replacement, error)
    return error[:MAX_ERROR_CHARS]


def mark_failed(
    *, session: Session, item_id: int, error: str, now: datetime, max_attempts: int = MAX_ATTEMPTS
) -> OutboxItem:
    """Record a failed attempt: retry later with backoff, or give up ('dead') after the last."""
    item = _get(session, item_id)
    item.attempts += 1
    item.last_error = scrub_error(error)
    if item.attempts >= max_attempts:
        item.status = DEAD
    else:
        item.next_attempt_at = now + timedelta(seconds=backoff_seconds(item.attempts))
    session.add(item)
    session.flush()
    return item


def defer(*, session: Session, item_id: int, until: datetime) -> OutboxItem:
    """Put an item off until `until` without counting an attempt (it was not tried)."""
    item = _get(session, item_id)
    item.next_attempt_at = until
    session.add(item)
    session.flush()
    return item


def retry_dead(*, session: Session, item_id: int, now: datetime | None = None) -> OutboxItem:
    """Give a dead item a fresh set of attempts, due at once (or at `now`)."""
    item = _get(session, item_id)
    if item.status != DEAD:
        raise InvalidInput(f"outbox item {item_id} is {item.status}, not dead")
    item.status = PENDING
    item.attempts = 0
    item.next_attempt_at = now or utcnow()
    session.add(item)
    session.flush()
    return item


def outbox_summary(*, session: Session) -> dict[str, int]:
    """How many items are in each status (pending, done, dead)."""
    rows = session.exec(
        select(OutboxItem.status, func.count()).group_by(col(OutboxItem.status))
    ).all()
    return dict(rows)


def outbox_item(*, session: Session, item_id: int) -> OutboxItem | None:
    """One item, if there is one with this id."""
    return session.get(OutboxItem, item_id)


def _late(now: datetime) -> ColumnElement[bool]:
    return (col(OutboxItem.status) == PENDING) & (
        (col(OutboxItem.attempts) > 0) | (col(OutboxItem.next_attempt_at) < now - OVERDUE_AFTER)
    )


def late_items(*, session: Session, now: datetime, limit: int = 50) -> list[OutboxItem]:
    """Pending items that failed at least once (retrying) or are overdue (see OVERDUE_AFTER),
    oldest first: what an operator watches before it ends up dead."""
    query = select(OutboxItem).where(_late(now)).order_by(col(OutboxItem.id)).limit(limit)
    return list(session.exec(query).all())


def late_count(*, session: Session, now: datetime) -> int:
    """How many pending items are retrying or overdue."""
    query = select(func.count()).select_from(OutboxItem).where(_late(now))
    return int(session.exec(query).one())


def dead_items(*, session: Session, limit: int = 10) -> list[OutboxItem]:
    """The newest dead items, for an operator to inspect."""
    query = (
        select(OutboxItem)
        .where(OutboxItem.status == DEAD)
        .order_by(col(OutboxItem.id).desc())
        .limit(limit)
    )
    return list(session.exec(query).all())
