"""What a manager sees about one handoff request (for Slack and the dashboard)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from qualification.errors import NotFound
from storage.answers import current_answers
from storage.models import HandoffRequest, Lead, User
from storage.score_reasons import top_reasons


@dataclass(frozen=True)
class BantLine:
    dimension: str
    summary: str
    given_by: str


@dataclass(frozen=True)
class HandoffView:
    request_id: int
    lead_id: int
    lead_name: str
    lead_email: str | None
    company: str
    stage: str
    score: int
    bant: tuple[BantLine, ...]
    top_reasons: tuple[str, ...]  # the ledger lines that add the most points
    requested_by: str
    requester_slack_id: str | None
    status: str
    decided_by: str | None
    decided_at: datetime | None
    comment: str


def handoff_view(*, session: Session, request_id: int) -> HandoffView:
    """Gather the request, its lead, current BANT answers and the biggest score reasons."""
    request = session.get(HandoffRequest, request_id)
    if request is None:
        raise NotFound(f"no handoff request #{request_id}")
    session.refresh(request)
    lead = session.get(Lead, request.lead_id)
    if lead is None:
        raise NotFound(f"no lead with id {request.lead_id}")
    session.refresh(lead)
    requester = (
        session.get(User, request.requested_by_user_id) if request.requested_by_user_id else None
    )
    decider = session.get(User, request.decided_by_user_id) if request.decided_by_user_id else None
    answers = current_answers(session=session, lead_id=lead.id or 0)
    return HandoffView(
        request_id=request.id or 0,
        lead_id=lead.id or 0,
        lead_name=lead.name,
        lead_email=lead.email,
        company=lead.company_name,
        stage=lead.stage.value,
        score=lead.score,
        bant=tuple(
            BantLine(
                dimension=d.value,
                summary=str(a.parsed.get("summary") or a.raw_text),
                given_by=a.given_by.value,
            )
            for d, a in answers.items()
        ),
        top_reasons=top_reasons(session=session, lead_id=lead.id or 0),
        requested_by=(requester.name or requester.email) if requester else request.requested_by,
        requester_slack_id=requester.slack_user_id if requester else None,
        status=request.status.value,
        decided_by=(decider.name or decider.email) if decider else request.decided_by,
        decided_at=request.decided_at,
        comment=request.comment,
    )
