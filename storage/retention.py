"""Retention: chat transcripts that ended long ago are deleted; the qualification record stays.

A conversation has *ended* when it was completed or handed to a human (`completed_at`), or,
for one never finished, when its last turn was (`updated_at`). Purging deletes its messages, its
Slack thread link and its engine state; the BANT answers it produced, the score ledger and the
stage history stay, because they are the lead's qualification record (they lose only their link
to the conversation). A widget visitor whose chat is purged and who has not been back since the
cut-off is deleted too; one seen later keeps its token and starts a new chat next time. A live
chat held in a purged conversation goes with it (its transcript was the conversation's
messages); follow-up requests stay, without their link to the chat.

A purge that deleted something writes one entry to the erasure log (storage.privacy_log), basis
"retention", with its counts and no lead id: it takes transcripts from many leads, and no lead
is erased.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, delete, func, or_, update
from sqlalchemy.sql import ColumnElement, Executable
from sqlmodel import Session, col, select

from qualification.lifecycle import Actor
from storage.models import (
    BantAnswer,
    Conversation,
    FollowUp,
    LiveChat,
    Message,
    RateLimitWindow,
    SlackThread,
    Visitor,
)
from storage.privacy_log import RETENTION, record_erasure
from storage.savepoint import try_insert

BATCH = 500
# The `rate_limit_windows` key that lets one process a day run the purge.
DAILY_KEY = "retention.purge"


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removed (or, on a dry run, would remove)."""

    cutoff: datetime
    conversations: int = 0
    messages: int = 0
    slack_threads: int = 0
    visitors: int = 0
    live_chats: int = 0
    answers_kept: int = 0  # answers that lost their link to a purged conversation
    dry_run: bool = False
    erasure_id: int | None = None  # the erasure log's entry (none on a dry run or for nothing)

    @property
    def removed(self) -> dict[str, int]:
        """What went, by kind (only kinds with something in them), as the erasure log has it."""
        counts = {
            "conversations": self.conversations,
            "messages": self.messages,
            "slack_threads": self.slack_threads,
            "visitors": self.visitors,
            "live_chats": self.live_chats,
        }
        return {kind: n for kind, n in counts.items() if n}

    def to_json(self) -> dict[str, Any]:
        return {
            "cutoff": self.cutoff.isoformat(),
            "conversations": self.conversations,
            "messages": self.messages,
            "slack_threads": self.slack_threads,
            "visitors": self.visitors,
            "live_chats": self.live_chats,
            "answers_kept": self.answers_kept,
            "dry_run": self.dry_run,
            "erasure_id": self.erasure_id,
        }


def _ended_before(cutoff: datetime) -> ColumnElement[bool]:
    return or_(
        and_(col(Conversation.completed_at).is_not(None), col(Conversation.completed_at) < cutoff),
        and_(col(Conversation.completed_at).is_(None), col(Conversation.updated_at) < cutoff),
    )


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield list(ids[start : start + BATCH])


def _count(session: Session, statement: Executable) -> int:
    return int(cast(CursorResult[Any], session.execute(statement)).rowcount or 0)


def _how_many(session: Session, model: Any, column: Any, ids: list[int]) -> int:
    return int(session.exec(select(func.count()).select_from(model).where(column.in_(ids))).one())


def _unlink_live_chats(session: Session, chunk: list[int]) -> int:
    chats = [
        i
        for i in session.exec(
            select(LiveChat.id).where(col(LiveChat.conversation_id).in_(chunk))
        ).all()
        if i is not None
    ]
    session.execute(
        update(FollowUp)
        .where(or_(col(FollowUp.conversation_id).in_(chunk), col(FollowUp.live_chat_id).in_(chats)))
        .values(conversation_id=None, live_chat_id=None)
    )
    return _count(session, delete(LiveChat).where(col(LiveChat.id).in_(chats)))


def purge_old_conversations(
    *,
    session: Session,
    now: datetime,
    days: int,
    dry_run: bool = False,
    actor: Actor | None = None,
) -> PurgeReport:
    """Delete the conversations that ended more than `days` days before `now`, with their
    messages (see the module docstring), and log it as done by `actor` (by default the
    system's retention). Flushes; the caller commits."""
    if days < 1:
        raise ValueError("keep conversations for at least one day")
    cutoff = now - timedelta(days=days)
    ids = [
        i
        for i in session.exec(
            select(Conversation.id).where(_ended_before(cutoff)).order_by(col(Conversation.id))
        ).all()
        if i is not None
    ]
    totals = dict.fromkeys(
        ("messages", "slack_threads", "visitors", "live_chats", "answers_kept"), 0
    )
    for chunk in _chunks(ids):
        if dry_run:
            totals["messages"] += _how_many(session, Message, col(Message.conversation_id), chunk)
            totals["slack_threads"] += _how_many(
                session, SlackThread, col(SlackThread.conversation_id), chunk
            )
            totals["answers_kept"] += _how_many(
                session, BantAnswer, col(BantAnswer.conversation_id), chunk
            )
            totals["live_chats"] += _how_many(
                session, LiveChat, col(LiveChat.conversation_id), chunk
            )
            totals["visitors"] += int(
                session.exec(
                    select(func.count())
                    .select_from(Visitor)
                    .where(
                        col(Visitor.conversation_id).in_(chunk), col(Visitor.last_seen_at) < cutoff
                    )
                ).one()
            )
            continue
        totals["messages"] += _count(
            session, delete(Message).where(col(Message.conversation_id).in_(chunk))
        )
        totals["slack_threads"] += _count(
            session, delete(SlackThread).where(col(SlackThread.conversation_id).in_(chunk))
        )
        totals["answers_kept"] += _count(
            session,
            update(BantAnswer)
            .where(col(BantAnswer.conversation_id).in_(chunk))
            .values(conversation_id=None),
        )
        gone = col(Visitor.conversation_id).in_(chunk)
        totals["visitors"] += _count(
            session, delete(Visitor).where(gone, col(Visitor.last_seen_at) < cutoff)
        )
        session.execute(update(Visitor).where(gone).values(conversation_id=None))
        totals["live_chats"] += _unlink_live_chats(session, chunk)
        session.execute(delete(Conversation).where(col(Conversation.id).in_(chunk)))
    session.flush()
    report = PurgeReport(cutoff=cutoff, conversations=len(ids), dry_run=dry_run, **totals)
    if dry_run or not report.removed:
        return report
    entry = record_erasure(
        session=session,
        lead_id=None,
        actor=actor or Actor.system(RETENTION),
        basis=RETENTION,
        removed=report.removed,
        at=now,
    )
    return dataclasses.replace(report, erasure_id=entry.id)


def _day_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def purge_daily(*, session: Session, now: datetime, days: int) -> PurgeReport | None:
    """Run the purge at most once per UTC day across every process sharing the database.

    The first process to insert the day's `rate_limit_windows` row runs it; the others (and
    later calls that day) return None. The claim is the transaction's first write, so a second
    process waits for the first to commit and then sees the day taken. The caller commits,
    which also releases the claim if the purge fails and rolls back.
    """
    if days < 1:
        return None
    today = _day_start(now)
    refused = try_insert(session, RateLimitWindow(key=DAILY_KEY, window_start=today, count=1))
    if refused is not None:
        return None  # this day's purge was claimed already
    session.execute(
        delete(RateLimitWindow).where(
            col(RateLimitWindow.key) == DAILY_KEY,
            col(RateLimitWindow.window_start) < today - timedelta(days=7),
        )
    )
    return purge_old_conversations(session=session, now=now, days=days)
