"""Failed dashboard logins and lock-outs, kept in the rate-limit table so every worker sees them.

Failures of a key (an email) are counted in one-minute windows; when `max_failures` of them
fall within `window_seconds`, the key is locked for `lock_seconds` from that moment. The lock
is a row of its own whose window start is the moment it ends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.models import RateLimitWindow
from storage.ratelimit import hashed, hit

BUCKET_SECONDS = 60
_NEVER = 1_000_000_000  # `hit` is used to count, never to refuse


def login_key(kind: str, value: str) -> str:
    """A rate-limit key for `value` (an email or an address) that does not store it in clear."""
    return f"login:{kind}:{hashed(value)}"


def _utc(now: datetime) -> datetime:
    return now if now.tzinfo else now.replace(tzinfo=UTC)


def locked_until(*, session: Session, key: str, now: datetime) -> datetime | None:
    """When the lock on `key` ends, if it is locked at `now`."""
    until = session.exec(
        select(func.max(RateLimitWindow.window_start)).where(
            RateLimitWindow.key == f"{key}:lock",
            col(RateLimitWindow.window_start) > _utc(now),
        )
    ).one()
    session.rollback()  # end the read
    return _utc(until) if until is not None else None


def recent_failures(*, session: Session, key: str, window_seconds: int, now: datetime) -> int:
    """Failures of `key` counted in the last `window_seconds`."""
    since = _utc(now) - timedelta(seconds=window_seconds)
    total = session.exec(
        select(func.coalesce(func.sum(RateLimitWindow.count), 0)).where(
            RateLimitWindow.key == f"{key}:fail",
            col(RateLimitWindow.window_start) > since,
        )
    ).one()
    session.rollback()  # end the read
    return int(total)


def record_failure(
    *,
    session: Session,
    key: str,
    max_failures: int,
    window_seconds: int,
    lock_seconds: int,
    now: datetime,
) -> datetime | None:
    """Count one failed login for `key`; lock it when that makes `max_failures`. Returns the
    end of the lock this failure started, if it started one. Commits."""
    now = _utc(now)
    hit(session=session, key=f"{key}:fail", limit=_NEVER, window_seconds=BUCKET_SECONDS, now=now)
    if (
        recent_failures(session=session, key=key, window_seconds=window_seconds, now=now)
        < max_failures
    ):
        return None
    until = now + timedelta(seconds=lock_seconds)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = RateLimitWindow.__table__  # type: ignore[attr-defined]
    try:
        session.execute(
            insert(table)
            .values(key=f"{key}:lock", window_start=until, count=1)
            .on_conflict_do_nothing(index_elements=["key", "window_start"])
        )
        # The lock starts a new series: after it, the key gets `max_failures` tries again.
        _delete(session, f"{key}:fail", before=None)
        _delete(session, f"{key}:lock", before=now)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return until


def clear_failures(*, session: Session, key: str) -> None:
    """Forget the failures of `key` (after a successful login). Commits."""
    try:
        _delete(session, f"{key}:fail", before=None)
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _delete(session: Session, key: str, *, before: datetime | None) -> None:
    statement = delete(RateLimitWindow).where(col(RateLimitWindow.key) == key)
    if before is not None:
        statement = statement.where(col(RateLimitWindow.window_start) < before)
    session.execute(statement)
