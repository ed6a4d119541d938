"""Leads: creation, look-up and audited stage moves (in the caller's transaction)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from qualification.errors import AlreadyExists, NotFound
from qualification.lifecycle import Actor, MoveContext, StageEvent, plan_stage_change
from qualification.parsers.seniority import parse_seniority
from qualification.stages import HandoffStatus, Stage
from storage.live_chats import end_for_stage_move
from storage.models import HandoffRequest, Lead, LeadCreate, StageChange, utcnow
from storage.outbox import EVENT, enqueue
from storage.savepoint import try_insert


def normalise_email(email: str) -> str:
    """Emails are stored and compared lower-cased and trimmed."""
    return email.strip().lower()


def _values(data: LeadCreate) -> dict[str, Any]:
    values = data.model_dump()
    values["email"] = normalise_email(values["email"]) if values.get("email") else None
    if values.get("country"):
        values["country"] = str(values["country"]).strip().upper()
    if not values.get("seniority") and values.get("title"):
        seniority = parse_seniority(str(values["title"]))
        values["seniority"] = seniority.value if seniority else None
    return values


def create_lead(*, session: Session, data: LeadCreate, actor: Actor) -> Lead:
    """Add a new lead in stage `new`; its email, if any, must not belong to another lead."""
    values = _values(data)
    if values["email"] and find_lead_by_email(session=session, email=values["email"]):
        raise AlreadyExists(f"a lead with email {values['email']} already exists")
    lead = Lead(**values)
    refused = try_insert(session, lead)
    if refused is not None:  # another transaction added the same email after our look-up
        raise AlreadyExists(f"a lead with email {values['email']} already exists") from refused
    enqueue(
        session=session,
        kind=EVENT,
        topic="lead.created",
        payload={"lead_id": lead.id, "actor": str(actor)},
    )
    return lead


def upsert_lead(*, session: Session, data: LeadCreate, actor: Actor) -> tuple[Lead, bool]:
    """Create the lead, or fill in the given fields of the lead with the same email.

    Returns the lead and whether it was created.
    """
    values = _values(data)
    email: str | None = values["email"]
    existing = find_lead_by_email(session=session, email=email) if email else None
    if existing is None:
        try:
            return create_lead(session=session, data=data, actor=actor), True
        except AlreadyExists:
            existing = find_lead_by_email(session=session, email=email or "")
            if existing is None:
                raise
    given = set(data.model_dump(exclude_unset=True))
    if "title" in given:
        given.add("seniority")  # derived from the title unless given
    for field, value in values.items():
        if field in given and value not in (None, "") and getattr(existing, field) != value:
            setattr(existing, field, value)
    existing.updated_at = utcnow()
    session.add(existing)
    session.flush()
    return existing, False


def get_lead(*, session: Session, lead_id: int) -> Lead:
    """The lead with this id; NotFound if there is none."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"no lead with id {lead_id}")
    return lead


def find_lead_by_email(*, session: Session, email: str) -> Lead | None:
    """The lead with this email, ignoring case and surrounding spaces."""
    return session.exec(select(Lead).where(Lead.email == normalise_email(email))).first()


def lock_lead(*, session: Session, lead: Lead) -> Lead:
    """Reload `lead` and hold its row until the transaction ends (FOR UPDATE on PostgreSQL;
    SQLite transactions already take the write lock), so decisions use its latest state."""
    session.add(lead)
    session.flush()
    session.refresh(lead, with_for_update=True)
    return lead


def move_stage(
    *,
    session: Session,
    lead: Lead,
    event: StageEvent,
    actor: Actor,
    reason: str,
    context: MoveContext | None = None,
) -> StageChange:
    """Apply a lifecycle move with its audit row and outbox item, in the caller's transaction.
    A move to nurture or disqualified also ends the lead's open live chats (the prospect is
    told, the Slack card updated).

    Raises IllegalStageChange (and changes nothing) if the lifecycle does not allow it.
    """
    lock_lead(session=session, lead=lead)
    move = plan_stage_change(
        current=lead.stage, event=event, actor=actor, reason=reason, context=context
    )
    now = utcnow()
    lead.stage = move.to_stage
    lead.updated_at = now
    change = StageChange(
        lead_id=_id(lead),
        event=move.event.value,
        from_stage=move.from_stage,
        to_stage=move.to_stage,
        actor=str(move.actor),
        actor_user_id=move.actor.user_id,
        reason=move.reason,
        at=now,
    )
    session.add(lead)
    session.add(change)
    if move.from_stage is Stage.SAL and move.to_stage is not Stage.SQL:
        _cancel_pending_handoff(session=session, lead=lead, change=change)
    session.flush()
    enqueue(
        session=session,
        kind=EVENT,
        topic="lead.stage_changed",
        payload={
            "lead_id": lead.id,
            "change_id": change.id,
            "event": move.event.value,
            "from": move.from_stage.value,
            "to": move.to_stage.value,
            "actor": str(move.actor),
            "reason": move.reason,
            "at": now.isoformat(),
        },
    )
    if move.to_stage in (Stage.NURTURE, Stage.DISQUALIFIED):
        # Out of sales' hands: a live chat with the prospect ends with the move.
        end_for_stage_move(
            session=session,
            lead_id=_id(lead),
            by=move.actor.label,
            user_id=move.actor.user_id,
            now=now,
        )
    return change


def _cancel_pending_handoff(*, session: Session, lead: Lead, change: StageChange) -> None:
    """A lead that leaves SAL any other way than to SQL has nothing left to hand off; the
    request ends as cancelled and is announced like a decision (cards lose their buttons)."""
    pending = session.exec(
        select(HandoffRequest).where(
            HandoffRequest.lead_id == lead.id, HandoffRequest.status == HandoffStatus.PENDING
        )
    ).all()
    if not pending:
        return
    comment = f"lead moved to {change.to_stage.value}: {change.reason}"[:2000]
    session.execute(
        update(HandoffRequest)
        .where(
            col(HandoffRequest.lead_id) == lead.id,
            col(HandoffRequest.status) == HandoffStatus.PENDING,
        )
        .values(
            status=HandoffStatus.CANCELLED,
            decided_by=change.actor,
            decided_by_user_id=change.actor_user_id,
            decided_at=change.at,
            comment=comment,
        )
        .execution_options(synchronize_session="fetch")
    )
    for request in pending:
        enqueue(
            session=session,
            kind=EVENT,
            topic="handoff.decided",
            payload={
                "request_id": request.id,
                "lead_id": lead.id,
                "status": HandoffStatus.CANCELLED.value,
                "decided_by": change.actor,
                "comment": comment,
                # The SDR who moved their own lead on needs no message about it.
                "notify_requester": request.requested_by_user_id is None
                or request.requested_by_user_id != change.actor_user_id,
            },
        )


def stage_history(*, session: Session, lead_id: int) -> list[StageChange]:
    """The lead's audit log of stage changes, oldest first."""
    return list(
        session.exec(
            select(StageChange).where(StageChange.lead_id == lead_id).order_by(col(StageChange.id))
        ).all()
    )


def _id(lead: Lead) -> int:
    if lead.id is None:
        raise ValueError("the lead has not been saved")
    return lead.id
