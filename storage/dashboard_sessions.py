"""Dashboard sessions kept in the database: opened at login, checked on every request, ended
at logout. Only a digest of each session's token is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from storage.models import DashboardSession


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def open_session(*, session: Session, user_id: int, now: datetime, lifetime: timedelta) -> str:
    """Start a session for `user_id`; the token to put in the cookie (never stored)."""
    token = secrets.token_urlsafe(32)
    session.add(
        DashboardSession(
            token_hash=_digest(token),
            user_id=user_id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


def session_is_live(*, session: Session, token: str, user_id: int, now: datetime) -> bool:
    """Whether `token` names a session of `user_id` that has neither ended nor expired."""
    row = session.exec(
        select(DashboardSession).where(DashboardSession.token_hash == _digest(token))
    ).first()
    return (
        row is not None
        and row.user_id == user_id
        and row.ended_at is None
        and _utc(row.expires_at) > now
    )


def end_session(*, session: Session, token: str, now: datetime) -> bool:
    """End the session `token` names; False if it was not live."""
    ended = session.execute(
        update(DashboardSession)
        .where(
            col(DashboardSession.token_hash) == _digest(token),
            col(DashboardSession.ended_at).is_(None),
        )
        .values(ended_at=now)
    )
    return bool(getattr(ended, "rowcount", 0))


def end_user_sessions(*, session: Session, user_id: int, now: datetime) -> int:
    """End every live session of `user_id` (log out everywhere); how many there were."""
    ended = session.execute(
        update(DashboardSession)
        .where(
            col(DashboardSession.user_id) == user_id,
            col(DashboardSession.ended_at).is_(None),
            col(DashboardSession.expires_at) > now,
        )
        .values(ended_at=now)
    )
    return int(getattr(ended, "rowcount", 0))


def purge_sessions(*, session: Session, now: datetime, keep: timedelta) -> int:
    """Delete sessions that ended or expired more than `keep` ago; how many went."""
    cutoff = now - keep
    gone = session.execute(
        delete(DashboardSession).where(
            or_(
                col(DashboardSession.expires_at) < cutoff,
                col(DashboardSession.ended_at) < cutoff,
            )
        )
    )
    return int(getattr(gone, "rowcount", 0))
