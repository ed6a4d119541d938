"""One lead as the dashboard shows it: the lead report plus who did what, and transcripts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from qualification.stages import Dimension
from storage.handoff_view import HandoffView, handoff_view
from storage.lead_report import LeadReport, lead_report
from storage.live_chats import live_chats_of_lead
from storage.models import BantAnswer, Conversation, FollowUp, Message, StageChange, User

MESSAGES_PER_CONVERSATION = 500


@dataclass(frozen=True)
class StageEntry:
    """One row of the audit trail: who moved the lead, when and why."""

    at: datetime
    event: str
    from_stage: str
    to_stage: str
    actor: str  # as recorded: "user:jane@example.com", "prospect:web", "system:import"
    actor_name: str | None  # the Baton user's display name, when a user moved it
    reason: str


@dataclass(frozen=True)
class AnswerEntry:
    """A BANT answer: what was said, how it was parsed, and who said it."""

    id: int
    dimension: str
    raw_text: str
    kind: str
    status: str
    summary: str
    value: dict[str, Any] | None  # the parsed value's fields (money, timeline, authority, need)
    notes: tuple[str, ...]
    confidence: float
    given_by: str  # prospect, sdr, enrichment
    given_by_name: str | None  # the SDR's name for answers an SDR gave
    conversation_id: int | None
    superseded: bool
    at: datetime


@dataclass(frozen=True)
class TranscriptLine:
    seq: int
    direction: str  # "in" (to Baton) or "out" (Baton's reply)
    author: str  # prospect, sdr, bot, system
    author_name: str | None  # the SDR's name for messages an SDR wrote
    text: str
    at: datetime


@dataclass(frozen=True)
class Transcript:
    conversation_id: int
    channel: str  # web, slack, cli
    flow: str
    status: str
    started: datetime
    completed: datetime | None
    started_by: str | None  # the user who started it (an SDR on Slack), if any
    lines: tuple[TranscriptLine, ...]
    earlier_omitted: int  # messages older than the ones shown


@dataclass(frozen=True)
class LiveChatEntry:
    """A request to talk to a person: who took it, how it ended; `missed` flags the lead."""

    id: int
    conversation_id: int
    status: str  # waiting, live, ended, missed
    requested_at: datetime
    owner_name: str | None
    taken_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
    source_page: str | None


@dataclass(frozen=True)
class FollowUpEntry:
    kind: str  # email, meeting
    cause: str  # offline, missed, ended
    at: datetime


@dataclass(frozen=True)
class LeadDetail:
    report: LeadReport
    owner_name: str | None
    stages: tuple[StageEntry, ...]
    answers: tuple[AnswerEntry, ...]  # oldest first; superseded ones included and marked
    transcripts: tuple[Transcript, ...]
    handoff: HandoffView | None  # the pending handoff request, if any
    live_chats: tuple[LiveChatEntry, ...] = ()
    follow_ups: tuple[FollowUpEntry, ...] = ()

    @property
    def missed_live_chat(self) -> bool:
        """The prospect asked for a person and nobody took the chat in time."""
        return any(c.status == "missed" for c in self.live_chats)

    @property
    def lead(self) -> dict[str, Any]:
        return self.report.lead

    @property
    def score(self) -> int:
        """The sum of the ledger: the score with every entry accounted for."""
        return self.report.score

    @property
    def current_answers(self) -> tuple[AnswerEntry, ...]:
        """The answer that counts for each dimension, in BANT order."""
        order = [d.value for d in Dimension]
        current = [a for a in self.answers if not a.superseded]
        return tuple(sorted(current, key=lambda a: order.index(a.dimension)))


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    users = session.exec(select(User).where(col(User.id).in_(wanted))).all()
    return {u.id: (u.name or u.email) for u in users if u.id is not None}


def _stages(session: Session, lead_id: int) -> list[StageChange]:
    return list(
        session.exec(
            select(StageChange).where(StageChange.lead_id == lead_id).order_by(col(StageChange.id))
        ).all()
    )


def _answers(session: Session, lead_id: int) -> list[BantAnswer]:
    return list(
        session.exec(
            select(BantAnswer).where(BantAnswer.lead_id == lead_id).order_by(col(BantAnswer.id))
        ).all()
    )


def _answer_entry(row: BantAnswer, names: dict[int, str]) -> AnswerEntry:
    parsed = row.parsed or {}
    value = parsed.get("value")
    return AnswerEntry(
        id=row.id or 0,
        dimension=row.dimension.value,
        raw_text=row.raw_text,
        kind=str(parsed.get("kind", "")),
        status=row.status,
        summary=str(parsed.get("summary", "")),
        value={k: v for k, v in value.items() if k != "type"} if isinstance(value, dict) else None,
        notes=tuple(str(n) for n in parsed.get("notes", ())),
        confidence=row.confidence,
        given_by=row.given_by.value,
        given_by_name=names.get(row.given_by_user_id) if row.given_by_user_id else None,
        conversation_id=row.conversation_id,
        superseded=row.superseded,
        at=row.created_at,
    )


def _transcript(session: Session, conversation: Conversation, limit: int) -> Transcript:
    assert conversation.id is not None
    rows = list(
        reversed(
            session.exec(
                select(Message)
                .where(Message.conversation_id == conversation.id)
                .order_by(col(Message.seq).desc())
                .limit(limit)
            ).all()
        )
    )
    total = session.exec(
        select(func.count()).select_from(Message).where(Message.conversation_id == conversation.id)
    ).one()
    names = _names(session, [m.author_user_id for m in rows] + [conversation.started_by_user_id])
    return Transcript(
        conversation_id=conversation.id,
        channel=conversation.channel,
        flow=f"{conversation.flow_id}@{conversation.flow_version}",
        status=conversation.status,
        started=conversation.created_at,
        completed=conversation.completed_at,
        started_by=(
            names.get(conversation.started_by_user_id) if conversation.started_by_user_id else None
        ),
        lines=tuple(
            TranscriptLine(
                seq=m.seq,
                direction=m.direction,
                author=m.author,
                author_name=names.get(m.author_user_id) if m.author_user_id else None,
                text=m.text,
                at=m.created_at,
            )
            for m in rows
        ),
        earlier_omitted=max(0, int(total) - len(rows)),
    )


def lead_detail(
    *, session: Session, lead_id: int, messages_per_conversation: int = MESSAGES_PER_CONVERSATION
) -> LeadDetail:
    """Everything about the lead for its dashboard page; NotFound for an unknown id."""
    report = lead_report(session=session, lead_id=lead_id)
    stages = _stages(session, lead_id)
    answers = _answers(session, lead_id)
    owner_id = report.lead.get("owner_id")
    names = _names(
        session,
        [s.actor_user_id for s in stages] + [a.given_by_user_id for a in answers] + [owner_id],
    )
    conversations = session.exec(
        select(Conversation).where(Conversation.lead_id == lead_id).order_by(col(Conversation.id))
    ).all()
    pending = report.pending_handoff
    chats = live_chats_of_lead(session=session, lead_id=lead_id)
    names.update(_names(session, [c.owner_user_id for c in chats]))
    follow_ups = session.exec(
        select(FollowUp).where(FollowUp.lead_id == lead_id).order_by(col(FollowUp.id))
    ).all()
    return LeadDetail(
        report=report,
        owner_name=names.get(owner_id) if isinstance(owner_id, int) else None,
        stages=tuple(
            StageEntry(
                at=s.at,
                event=s.event,
                from_stage=s.from_stage.value,
                to_stage=s.to_stage.value,
                actor=s.actor,
                actor_name=names.get(s.actor_user_id) if s.actor_user_id else None,
                reason=s.reason,
            )
            for s in stages
        ),
        answers=tuple(_answer_entry(a, names) for a in answers),
        transcripts=tuple(
            _transcript(session, c, messages_per_conversation) for c in conversations
        ),
        handoff=handoff_view(session=session, request_id=pending["id"]) if pending else None,
        live_chats=tuple(
            LiveChatEntry(
                id=c.id or 0,
                conversation_id=c.conversation_id,
                status=c.status,
                requested_at=c.requested_at,
                owner_name=names.get(c.owner_user_id) if c.owner_user_id else None,
                taken_at=c.taken_at,
                ended_at=c.ended_at,
                end_reason=c.end_reason,
                source_page=c.source_page,
            )
            for c in chats
        ),
        follow_ups=tuple(
            FollowUpEntry(kind=f.kind, cause=f.cause, at=f.created_at) for f in follow_ups
        ),
    )
