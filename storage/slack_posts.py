"""Slack messages Baton posted about something, remembered so they can be updated later."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import SlackPost
from storage.savepoint import try_insert

HANDOFF = "handoff"  # approval cards; subject_id is the handoff request id


def record_post(
    *, session: Session, subject: str, subject_id: int, channel: str, ts: str
) -> SlackPost:
    """Remember the message `ts` in `channel` as being about (`subject`, `subject_id`).

    Recording the same message again returns the first row (a message is one row).
    """
    existing = _by_message(session, channel, ts)
    if existing is not None:
        return existing
    post = SlackPost(subject=subject, subject_id=subject_id, channel=channel, ts=ts)
    refused = try_insert(session, post)
    if refused is not None:  # another transaction recorded it first
        existing = _by_message(session, channel, ts)
        if existing is None:
            raise refused
        return existing
    return post


def posts_for(*, session: Session, subject: str, subject_id: int) -> list[SlackPost]:
    """Every message posted about the subject, oldest first."""
    query = (
        select(SlackPost)
        .where(SlackPost.subject == subject, SlackPost.subject_id == subject_id)
        .order_by(col(SlackPost.id))
    )
    return list(session.exec(query).all())


def count_posts(*, session: Session, subject: str, subject_id: int) -> int:
    """How many messages were posted about the subject."""
    query = select(func.count()).where(
        col(SlackPost.subject) == subject, col(SlackPost.subject_id) == subject_id
    )
    return int(session.exec(query).one())


def _by_message(session: Session, channel: str, ts: str) -> SlackPost | None:
    query = select(SlackPost).where(SlackPost.channel == channel, SlackPost.ts == ts)
    return session.exec(query).first()
