"""The approvals queue of the dashboard: pending handoff requests with the summary Slack shows,
the decisions of the last days, and a manager's decision taken from a web form."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from qualification.errors import InvalidInput
from qualification.rules import RuleSet
from qualification.stages import HandoffStatus
from storage.handoff_view import HandoffView, handoff_view
from storage.handoffs import decide_handoff
from storage.models import HandoffRequest, Lead, User

PENDING_LIMIT = 100
DECIDED_LIMIT = 100
DECIDED_WITHIN = timedelta(days=7)
MAX_COMMENT = 2000


@dataclass(frozen=True)
class PendingApproval:
    """A request waiting for a manager: what Slack's card shows, and since when it waits."""

    view: HandoffView
    requested_at: datetime
    waited: timedelta


@dataclass(frozen=True)
class Decision:
    """A decided (or cancelled) request: who decided, when, and why."""

    request_id: int
    lead_id: int
    lead_name: str
    lead_email: str | None
    company: str
    stage: str  # the lead's stage now
    status: str
    requested_by: str
    decided_by: str
    decided_by_user_id: int | None
    decided_at: datetime
    comment: str


@dataclass(frozen=True)
class ApprovalQueue:
    pending: tuple[PendingApproval, ...]  # oldest first
    pending_total: int
    decided: tuple[Decision, ...]  # newest first


def _display(user: User | None, recorded: str | None) -> str:
    """A user's name (or email); the recorded actor ("system:auto-approve") without a user."""
    if user is not None:
        return user.name or user.email
    return recorded or "someone"


def pending_approvals(
    *, session: Session, now: datetime, limit: int = PENDING_LIMIT
) -> tuple[tuple[PendingApproval, ...], int]:
    """The oldest `limit` pending requests, each as Slack's card shows it, and how many wait."""
    requests = session.exec(
        select(HandoffRequest)
        .where(HandoffRequest.status == HandoffStatus.PENDING)
        .order_by(col(HandoffRequest.created_at), col(HandoffRequest.id))
        .limit(limit)
    ).all()
    total = session.exec(
        select(func.count())
        .select_from(HandoffRequest)
        .where(HandoffRequest.status == HandoffStatus.PENDING)
    ).one()
    pending = tuple(
        PendingApproval(
            view=handoff_view(session=session, request_id=request.id or 0),
            requested_at=request.created_at,
            waited=max(now - request.created_at, timedelta(0)),
        )
        for request in requests
    )
    return pending, int(total)


def _decisions(session: Session, *conditions: Any, limit: int) -> list[Decision]:
    """Decided (or cancelled) requests matching `conditions`, newest decision first."""
    decider = aliased(User)
    requester = aliased(User)
    rows = session.exec(
        select(HandoffRequest, Lead, decider, requester)
        .join(Lead, col(Lead.id) == col(HandoffRequest.lead_id))
        .outerjoin(decider, col(decider.id) == col(HandoffRequest.decided_by_user_id))
        .outerjoin(requester, col(requester.id) == col(HandoffRequest.requested_by_user_id))
        .where(HandoffRequest.status != HandoffStatus.PENDING, *conditions)
        .order_by(col(HandoffRequest.decided_at).desc(), col(HandoffRequest.id).desc())
        .limit(limit)
    ).all()
    return [_decision(request, lead, decided, asked) for request, lead, decided, asked in rows]


def _decision(
    request: HandoffRequest, lead: Lead, decided: User | None, asked: User | None
) -> Decision:
    return Decision(
        request_id=request.id or 0,
        lead_id=lead.id or 0,
        lead_name=lead.name,
        lead_email=lead.email,
        company=lead.company_name,
        stage=lead.stage.value,
        status=request.status.value,
        requested_by=_display(asked, request.requested_by),
        decided_by=_display(decided, request.decided_by),
        decided_by_user_id=request.decided_by_user_id,
        decided_at=request.decided_at or request.created_at,
        comment=request.comment,
    )


def recent_decisions(
    *,
    session: Session,
    now: datetime,
    within: timedelta = DECIDED_WITHIN,
    limit: int = DECIDED_LIMIT,
) -> tuple[Decision, ...]:
    """Requests decided or cancelled in the last `within`, newest first."""
    since = col(HandoffRequest.decided_at) >= now - within
    return tuple(_decisions(session, since, limit=limit))


def decision(*, session: Session, request_id: int) -> Decision | None:
    """How the request was decided; None while it is pending (or if there is no such request)."""
    found = _decisions(session, col(HandoffRequest.id) == request_id, limit=1)
    return found[0] if found else None


def approval_queue(*, session: Session, now: datetime) -> ApprovalQueue:
    """What the approvals page shows at `now`."""
    pending, total = pending_approvals(session=session, now=now)
    return ApprovalQueue(
        pending=pending,
        pending_total=total,
        decided=recent_decisions(session=session, now=now),
    )


def decide_request(
    *,
    session: Session,
    request_id: int,
    approve: bool,
    user: User,
    comment: str,
    rules: RuleSet,
) -> HandoffRequest:
    """A manager's decision from the dashboard: `decide_handoff`, as Slack decides (the first
    decision wins; the decision goes to the outbox in this transaction). A rejection must say
    why, as Slack's reject form requires; a comment is at most MAX_COMMENT characters."""
    text = comment.strip()
    if len(text) > MAX_COMMENT:
        raise InvalidInput(
            f"a comment is at most {MAX_COMMENT} characters ({len(text)} given);"
            " nothing was changed"
        )
    if not approve and not text:
        raise InvalidInput("a rejection needs a comment saying why; nothing was changed")
    return decide_handoff(
        session=session,
        request_id=request_id,
        approve=approve,
        user=user,
        comment=text,
        rules=rules,
    )


def request_lead_id(*, session: Session, request_id: int) -> int | None:
    """The lead a handoff request is about, if the request exists."""
    request = session.get(HandoffRequest, request_id)
    return request.lead_id if request is not None else None
