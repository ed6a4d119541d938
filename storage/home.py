"""What a Baton user's home screen shows: their leads by stage, or the pending approvals."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from qualification.stages import HandoffStatus, Stage
from storage.models import HandoffRequest, Lead, User

LIMIT = 20


@dataclass(frozen=True)
class LeadLine:
    lead_id: int
    name: str
    stage: str
    score: int


@dataclass(frozen=True)
class Home:
    is_manager: bool
    pending: tuple[tuple[int, LeadLine], ...]  # (request id, lead) waiting for a decision
    leads: tuple[LeadLine, ...]  # the user's own open leads


def _line(lead: Lead) -> LeadLine:
    return LeadLine(
        lead_id=lead.id or 0,
        name=lead.name or lead.email or f"lead {lead.id}",
        stage=lead.stage.value,
        score=lead.score,
    )


def home_for(*, session: Session, user: User) -> Home:
    """Pending approvals (managers) and the user's open leads, newest activity first."""
    pending: list[tuple[int, LeadLine]] = []
    if user.role.value == "manager":
        rows = session.exec(
            select(HandoffRequest, Lead)
            .join(Lead, col(Lead.id) == col(HandoffRequest.lead_id))
            .where(HandoffRequest.status == HandoffStatus.PENDING)
            .order_by(col(HandoffRequest.created_at))
            .limit(LIMIT)
        ).all()
        pending = [(request.id or 0, _line(lead)) for request, lead in rows]
    leads = session.exec(
        select(Lead)
        .where(Lead.owner_id == user.id, col(Lead.stage).in_([Stage.MQL, Stage.SAL]))
        .order_by(col(Lead.updated_at).desc())
        .limit(LIMIT)
    ).all()
    return Home(
        is_manager=user.role.value == "manager",
        pending=tuple(pending),
        leads=tuple(_line(lead) for lead in leads),
    )
