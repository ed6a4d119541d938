"""Handoff requests: SAL → SQL only when a manager approves (or the score auto-approves)."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from qualification.errors import (
    HandoffAlreadyDecided,
    IllegalStageChange,
    NotFound,
    PermissionDenied,
)
from qualification.lifecycle import Actor, ActorKind, MoveContext, StageEvent
from qualification.rules import RuleSet
from qualification.stages import HandoffStatus, Role, Stage
from storage.leads import get_lead, lock_lead, move_stage
from storage.models import HandoffRequest, Lead, User, utcnow
from storage.outbox import EVENT, enqueue
from storage.savepoint import try_insert


def pending_handoff(*, session: Session, lead_id: int) -> HandoffRequest | None:
    """The lead's request waiting for a manager, if any."""
    return session.exec(
        select(HandoffRequest).where(
            HandoffRequest.lead_id == lead_id, HandoffRequest.status == HandoffStatus.PENDING
        )
    ).first()


def _user_actor(user: User) -> Actor:
    return Actor(kind=ActorKind.USER, label=user.email, user_id=user.id)


def request_handoff(
    *, session: Session, lead: Lead, actor: Actor, rules: RuleSet
) -> HandoffRequest:
    """Ask a manager to pass this SAL to sales; asking again returns the pending request.

    Above `rules.auto_approve_above` the request is approved at once and the lead becomes SQL.
    """
    lock_lead(session=session, lead=lead)
    if lead.stage is not Stage.SAL:
        raise IllegalStageChange(
            current=lead.stage.value,
            event="request_handoff",
            detail="only a sales-accepted lead (SAL) can be handed off",
        )
    existing = pending_handoff(session=session, lead_id=lead.id or 0)
    if existing is not None:
        return existing
    request = HandoffRequest(
        lead_id=lead.id or 0,
        requested_by=str(actor),
        requested_by_user_id=actor.user_id,
        score_at_request=lead.score,
    )
    refused = try_insert(session, request)
    if refused is not None:  # another request for this lead became pending first
        winner = pending_handoff(session=session, lead_id=lead.id or 0)
        if winner is None:
            raise refused
        return winner
    if rules.auto_approve_above is not None and lead.score >= rules.auto_approve_above:
        return _decide(
            session=session,
            request=request,
            approve=True,
            actor=Actor.system("auto-approve"),
            comment=f"auto-approved: score {lead.score} ≥ {rules.auto_approve_above}",
            rules=rules,
        )
    enqueue(
        session=session,
        kind=EVENT,
        topic="handoff.requested",
        payload={"request_id": request.id, "lead_id": lead.id, "requested_by": str(actor)},
    )
    return request


def decide_handoff(
    *,
    session: Session,
    request_id: int,
    approve: bool,
    user: User,
    comment: str,
    rules: RuleSet,
) -> HandoffRequest:
    """A manager approves (lead → SQL) or rejects (lead stays SAL or goes to nurture, per the
    rules). The first decision wins; a later one raises HandoffAlreadyDecided naming it."""
    if user.role is not Role.MANAGER or not user.active:
        raise PermissionDenied(
            f"only managers can approve or reject handoffs ({user.email} is not)"
        )
    request = session.get(HandoffRequest, request_id)
    if request is None:
        raise NotFound(f"no handoff request #{request_id}")
    return _decide(
        session=session,
        request=request,
        approve=approve,
        actor=_user_actor(user),
        comment=comment,
        rules=rules,
    )


def _decide(
    *,
    session: Session,
    request: HandoffRequest,
    approve: bool,
    actor: Actor,
    comment: str,
    rules: RuleSet,
) -> HandoffRequest:
    status = HandoffStatus.APPROVED if approve else HandoffStatus.REJECTED
    now = utcnow()
    claimed = session.execute(
        update(HandoffRequest)
        .where(
            col(HandoffRequest.id) == request.id,
            col(HandoffRequest.status) == HandoffStatus.PENDING,
        )
        .values(
            status=status,
            decided_by=str(actor),
            decided_by_user_id=actor.user_id,
            decided_at=now,
            comment=comment.strip()[:2000],
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(request)
    if claimed.rowcount == 0:  # type: ignore[attr-defined]
        raise HandoffAlreadyDecided(
            request_id=request.id or 0,
            status=request.status.value,
            decided_by=request.decided_by or "someone",
            decided_at=request.decided_at.isoformat() if request.decided_at else "an earlier time",
        )
    lead = get_lead(session=session, lead_id=request.lead_id)
    who = actor.label
    if approve:
        move_stage(
            session=session,
            lead=lead,
            event=StageEvent.PROMOTE,
            actor=actor,
            reason=f"handoff approved by {who}"
            + (f": {comment.strip()}" if comment.strip() else ""),
            context=MoveContext(handoff_approved=True),
        )
    elif rules.rejected_handoff_goes_to is Stage.NURTURE:
        move_stage(
            session=session,
            lead=lead,
            event=StageEvent.RETURN_TO_NURTURE,
            actor=actor,
            reason=f"handoff rejected by {who}: {comment.strip() or 'no comment'}",
        )
    enqueue(
        session=session,
        kind=EVENT,
        topic="handoff.decided",
        payload={
            "request_id": request.id,
            "lead_id": lead.id,
            "status": status.value,
            "decided_by": str(actor),
            "comment": request.comment,
        },
    )
    return request
