"""Fixed-window rate limits counted in the database, so every worker process shares them."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from storage.models import RateLimitWindow

# Windows older than this are deleted when a key starts a new window.
_KEEP = timedelta(days=1)


def hashed(value: str) -> str:
    """`value` (an email, an IP address) as it goes into a rate-limit key: a digest, so the
    counters never hold personal data in clear. Case and surrounding spaces do not count."""
    return hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()[:40]


@dataclass(frozen=True)
class RateLimitDecision:
    """Whether the request may go ahead, and if not, seconds until the window resets."""

    allowed: bool
    retry_after: int = 0
    count: int = 0


def window_start(now: datetime, window_seconds: int) -> datetime:
    """The start of the fixed window `now` falls in (UTC)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    epoch = math.floor(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % window_seconds, tz=UTC)


def _upsert(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = RateLimitWindow.__table__  # type: ignore[attr-defined]
    upsert = insert(table).values(
        key=bindparam("window_key"),
        window_start=bindparam("window_begins", type_=table.c.window_start.type),
        count=1,
    )
    return upsert.on_conflict_do_update(
        index_elements=["key", "window_start"],
        set_={"count": table.c.count + 1},
    ).returning(table.c.count)


# Built once per dialect: building the statement costs more than running it.
_UPSERTS = {dialect: _upsert(dialect) for dialect in ("postgresql", "sqlite")}


def _count(*, session: Session, key: str, start: datetime) -> int:
    """One upsert: add one to `key`'s window starting at `start`; the new count."""
    dialect = session.get_bind().dialect.name
    statement = _UPSERTS["postgresql" if dialect == "postgresql" else "sqlite"]
    count = int(
        session.execute(statement, {"window_key": key[:200], "window_begins": start}).scalar_one()
    )
    if count == 1:
        session.execute(
            delete(RateLimitWindow).where(
                col(RateLimitWindow.key) == key[:200],
                col(RateLimitWindow.window_start) < start - _KEEP,
            )
        )
    return count


def _decide(
    count: int, limit: int, start: datetime, window_seconds: int, now: datetime
) -> RateLimitDecision:
    if count <= limit:
        return RateLimitDecision(allowed=True, count=count)
    reset = start + timedelta(seconds=window_seconds)
    now_utc = now if now.tzinfo else now.replace(tzinfo=UTC)
    retry = max(1, math.ceil((reset - now_utc).total_seconds()))
    return RateLimitDecision(allowed=False, retry_after=retry, count=count)


def hit(
    *, session: Session, key: str, limit: int, window_seconds: int, now: datetime
) -> RateLimitDecision:
    """Count one request for `key` in the current window; allowed while the count <= `limit`.

    Runs and commits its own short transaction on `session` (one upsert), so pass a session
    with nothing else pending.
    """
    return hit_all(session=session, hits=[Hit(key, limit, window_seconds)], now=now)


@dataclass(frozen=True)
class Hit:
    """One counter to add a request to: `key`, at most `limit` per `window_seconds`."""

    key: str
    limit: int
    window_seconds: int


def hit_all(*, session: Session, hits: Sequence[Hit], now: datetime) -> RateLimitDecision:
    """Count one request against each counter in order, in one short transaction (committed
    on `session`, so pass one with nothing else pending); the first refusal stops the count,
    so later counters are not charged for a refused request. Allowed when every one allows."""
    decision = RateLimitDecision(allowed=True)
    try:
        for each in hits:
            start = window_start(now, each.window_seconds)
            count = _count(session=session, key=each.key, start=start)
            decision = _decide(count, each.limit, start, each.window_seconds, now)
            if not decision.allowed:
                break
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return decision


def current_count(*, session: Session, key: str, window_seconds: int, now: datetime) -> int:
    """Requests counted for `key` in the current window (0 if none)."""
    row = session.get(RateLimitWindow, (key[:200], window_start(now, window_seconds)))
    return row.count if row is not None else 0
