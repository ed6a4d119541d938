"""Folding an anonymous lead into the lead that already has the email the visitor gave."""

from __future__ import annotations

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from qualification.lifecycle import Actor, StageEvent
from qualification.stages import HandoffStatus, Stage
from storage.leads import move_stage
from storage.models import (
    BantAnswer,
    BehaviourEvent,
    Conversation,
    FollowUp,
    HandoffRequest,
    Lead,
    LeadBase,
    LiveChat,
    ScoreEntry,
    StageChange,
    Visitor,
    utcnow,
)
from storage.outbox import enqueue

_MOVED = (
    Conversation,
    BantAnswer,
    BehaviourEvent,
    HandoffRequest,
    Visitor,
    LiveChat,
    FollowUp,
)


def _rank_answers(session: Session, lead_id: int) -> None:
    """Per dimension, the highest-ranked source counts, and among equals the newest."""
    rows = session.exec(
        select(BantAnswer).where(BantAnswer.lead_id == lead_id).order_by(col(BantAnswer.id))
    ).all()
    best: dict[str, BantAnswer] = {}
    for row in rows:
        held = best.get(row.dimension.value)
        if held is None or row.given_by.rank >= held.given_by.rank:
            best[row.dimension.value] = row
    for row in rows:
        row.superseded = best[row.dimension.value] is not row
        session.add(row)


def merge_lead(*, session: Session, source: Lead, target: Lead, actor: Actor, channel: str) -> Lead:
    """Move the source lead's conversations, answers, events and visitors to the target, fill
    the target's empty fields, and remove the source (its score and audit rows were only about
    an anonymous visitor). The target then counts as having started this qualification chat."""
    assert source.id is not None and target.id is not None and source.id != target.id
    session.execute(
        update(HandoffRequest)
        .where(
            col(HandoffRequest.lead_id) == source.id,
            col(HandoffRequest.status) == HandoffStatus.PENDING,
        )
        .values(status=HandoffStatus.CANCELLED, comment="merged into another lead")
    )
    for model in _MOVED:
        session.execute(
            update(model).where(col(model.lead_id) == source.id).values(lead_id=target.id)
        )
    for field in LeadBase.model_fields:
        if getattr(target, field) in (None, "") and getattr(source, field) not in (None, ""):
            setattr(target, field, getattr(source, field))
    target.last_activity_at = max(
        (t for t in (target.last_activity_at, source.last_activity_at) if t), default=None
    )
    target.updated_at = utcnow()
    session.execute(delete(ScoreEntry).where(col(ScoreEntry.lead_id) == source.id))
    session.execute(delete(StageChange).where(col(StageChange.lead_id) == source.id))
    session.flush()
    session.delete(source)
    session.add(target)
    _rank_answers(session, target.id)
    enqueue(
        session=session,
        kind="event",
        topic="lead.merged",
        payload={"from_lead_id": source.id, "into_lead_id": target.id, "actor": str(actor)},
    )
    reason = f"started a qualification chat ({channel})"
    if target.stage is Stage.NEW:
        move_stage(
            session=session, lead=target, event=StageEvent.MARK_MQL, actor=actor, reason=reason
        )
    elif target.stage is Stage.NURTURE:
        move_stage(
            session=session, lead=target, event=StageEvent.REENGAGE, actor=actor, reason=reason
        )
    session.flush()
    return target
