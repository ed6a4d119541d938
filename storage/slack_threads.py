"""Slack threads that carry a qualification conversation (an SDR answering step by step)."""

from __future__ import annotations

from sqlmodel import Session, select

from qualification.errors import AlreadyExists
from storage.models import SlackThread
from storage.savepoint import try_insert


def record_thread(
    *, session: Session, channel: str, thread_ts: str, conversation_id: int, user_id: int
) -> SlackThread:
    """Link a thread to its conversation; AlreadyExists if the thread already carries one."""
    thread = SlackThread(
        channel=channel, thread_ts=thread_ts, conversation_id=conversation_id, user_id=user_id
    )
    refused = try_insert(session, thread)
    if refused is not None:
        raise AlreadyExists("this thread already has a qualification") from refused
    return thread


def thread_at(*, session: Session, channel: str, thread_ts: str) -> SlackThread | None:
    """The conversation thread rooted at `thread_ts` in `channel`, if there is one."""
    return session.exec(
        select(SlackThread).where(
            SlackThread.channel == channel, SlackThread.thread_ts == thread_ts
        )
    ).first()


def thread_of(*, session: Session, conversation_id: int) -> SlackThread | None:
    """The thread a conversation runs in, if it runs in one."""
    return session.exec(
        select(SlackThread).where(SlackThread.conversation_id == conversation_id)
    ).first()
