"""Everything known about one lead, gathered for display (CLI, dashboard, Slack)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from qualification.errors import NotFound
from storage.models import (
    BantAnswer,
    BehaviourEvent,
    Conversation,
    HandoffRequest,
    Lead,
    ScoreEntry,
    StageChange,
)


@dataclass(frozen=True)
class AnswerLine:
    dimension: str
    raw_text: str
    summary: str
    status: str
    confidence: float
    given_by: str
    superseded: bool
    at: datetime


@dataclass(frozen=True)
class LedgerLineView:
    rule_id: str
    category: str
    points: int
    cause: str
    note: str
    rules_version: str
    at: datetime


@dataclass(frozen=True)
class StageLine:
    from_stage: str
    to_stage: str
    actor: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class LeadReport:
    lead: dict[str, Any]
    answers: list[AnswerLine]
    ledger: list[LedgerLineView]
    score_by_category: dict[str, int]
    stages: list[StageLine]
    events: list[dict[str, Any]]
    conversations: list[dict[str, Any]]
    pending_handoff: dict[str, Any] | None

    @property
    def score(self) -> int:
        return sum(line.points for line in self.ledger)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["score"] = self.score
        result: dict[str, Any] = _jsonable(data)
        return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def lead_report(*, session: Session, lead_id: int) -> LeadReport:
    """Collect the lead, its answers, score ledger, audit trail, events and conversations."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"no lead with id {lead_id}")
    answers = session.exec(
        select(BantAnswer).where(BantAnswer.lead_id == lead_id).order_by(col(BantAnswer.id))
    ).all()
    entries = session.exec(
        select(ScoreEntry).where(ScoreEntry.lead_id == lead_id).order_by(col(ScoreEntry.id))
    ).all()
    stages = session.exec(
        select(StageChange).where(StageChange.lead_id == lead_id).order_by(col(StageChange.id))
    ).all()
    events = session.exec(
        select(BehaviourEvent)
        .where(BehaviourEvent.lead_id == lead_id)
        .order_by(col(BehaviourEvent.occurred_at))
    ).all()
    conversations = session.exec(
        select(Conversation).where(Conversation.lead_id == lead_id).order_by(col(Conversation.id))
    ).all()
    pending = session.exec(
        select(HandoffRequest).where(
            HandoffRequest.lead_id == lead_id, HandoffRequest.status == "pending"
        )
    ).first()
    by_category: dict[str, int] = {}
    for entry in entries:
        by_category[entry.category] = by_category.get(entry.category, 0) + entry.points
    return LeadReport(
        lead=lead.model_dump(mode="json"),
        answers=[
            AnswerLine(
                dimension=a.dimension.value,
                raw_text=a.raw_text,
                summary=str(a.parsed.get("summary", "")),
                status=a.status,
                confidence=a.confidence,
                given_by=a.given_by.value,
                superseded=a.superseded,
                at=a.created_at,
            )
            for a in answers
        ],
        ledger=[
            LedgerLineView(
                rule_id=e.rule_id,
                category=e.category,
                points=e.points,
                cause=e.cause_ref or e.cause_kind,
                note=e.note,
                rules_version=e.rules_version,
                at=e.created_at,
            )
            for e in entries
        ],
        score_by_category=by_category,
        stages=[
            StageLine(
                from_stage=s.from_stage.value,
                to_stage=s.to_stage.value,
                actor=s.actor,
                reason=s.reason,
                at=s.at,
            )
            for s in stages
        ],
        events=[
            {"kind": e.kind.value, "asset": e.asset, "url": e.url, "at": e.occurred_at}
            for e in events
        ],
        conversations=[
            {
                "id": c.id,
                "channel": c.channel,
                "flow": f"{c.flow_id}@{c.flow_version}",
                "status": c.status,
                "state": c.state,
                "started": c.created_at,
            }
            for c in conversations
        ],
        pending_handoff=(
            {"id": pending.id, "requested_by": pending.requested_by, "at": pending.created_at}
            if pending
            else None
        ),
    )
