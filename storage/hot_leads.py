"""Hot leads: a prospect who just raised a hand on the website, and the SDR who claims them.

A lead becomes hot when a website chat ends recommending a handoff, or when a demo request is
recorded for it. Each cause queues one `lead.hot` event in the caller's transaction (its dedupe
key names the cause, so the same chat or event never queues twice). Claiming makes an SDR the
owner: the first claim wins on SQLite and PostgreSQL alike, any later one is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col

from qualification.errors import AlreadyClaimed, IllegalStageChange, PermissionDenied
from qualification.lifecycle import Actor, ActorKind, StageEvent
from qualification.stages import Action, EventKind, Role, Stage
from storage.leads import get_lead, move_stage
from storage.models import BehaviourEvent, Lead, OutboxItem, User, utcnow
from storage.outbox import EVENT, enqueue

HOT = "lead.hot"
CLAIMED = "lead.claimed"
# Why a lead is hot (the `reason` of a `lead.hot` event).
WEBSITE_CHAT = "website_chat"
DEMO_REQUEST = "demo_request"
# The channel of conversations held in the website widget (bot/widget/chat.py).
WEBSITE_CHANNEL = "web"
# A demo request older than this is history (a backfill from a marketing system), not a hand
# raised now: it scores as usual but is not announced.
DEMO_REQUEST_FRESH_FOR = timedelta(days=2)
CLAIMERS = frozenset({Role.SDR, Role.MANAGER})
# Stages a claimed lead passes through on its way to SAL (each move audited, by the claimer).
_TO_MQL = {Stage.NEW: StageEvent.MARK_MQL, Stage.NURTURE: StageEvent.REENGAGE}


def _mark_hot(
    *, session: Session, lead: Lead, reason: str, cause: str, ref_field: str, ref: int
) -> OutboxItem:
    """Queue `lead.hot`; the dedupe key (`lead.hot:<lead>:chat:<conversation>` or
    `lead.hot:<lead>:event:<event>`) makes a repeated cause return the first item."""
    lead_id = lead.id or 0
    return enqueue(
        session=session,
        kind=EVENT,
        topic=HOT,
        payload={"lead_id": lead_id, "reason": reason, ref_field: ref},
        dedupe_key=f"{HOT}:{lead_id}:{cause}:{ref}",
    )


def note_finished_chat(
    *, session: Session, lead: Lead, conversation_id: int, channel: str, action: Action
) -> OutboxItem | None:
    """A website chat that ends recommending a handoff makes its lead hot (once per chat)."""
    if channel != WEBSITE_CHANNEL or action is not Action.HANDOFF:
        return None
    return _mark_hot(
        session=session,
        lead=lead,
        reason=WEBSITE_CHAT,
        cause="chat",
        ref_field="conversation_id",
        ref=conversation_id,
    )


def note_new_event(
    *, session: Session, lead: Lead, event: BehaviourEvent, now: datetime | None = None
) -> OutboxItem | None:
    """A newly stored, recent demo request makes its lead hot (once per event)."""
    if event.kind is not EventKind.DEMO_REQUEST or event.id is None:
        return None
    if event.occurred_at < (now or utcnow()) - DEMO_REQUEST_FRESH_FOR:
        return None
    return _mark_hot(
        session=session,
        lead=lead,
        reason=DEMO_REQUEST,
        cause="event",
        ref_field="event_id",
        ref=event.id,
    )


@dataclass(frozen=True)
class Claim:
    """The outcome of a claim: the lead, and whether this call made the user its owner
    (False when they owned it already)."""

    lead: Lead
    claimed: bool


def _actor(user: User) -> Actor:
    return Actor(kind=ActorKind.USER, label=user.email, user_id=user.id)


def _refuse_unclaimable(session: Session, lead: Lead, user: User) -> None:
    if lead.owner_id is not None and lead.owner_id != user.id:
        owner = session.get(User, lead.owner_id)
        raise AlreadyClaimed(
            lead_id=lead.id or 0, owner=(owner.name or owner.email) if owner else "someone"
        )
    if lead.stage is Stage.DISQUALIFIED:
        raise IllegalStageChange(
            current=lead.stage.value, event="claim", detail="a disqualified lead has no owner"
        )


def claim_lead(*, session: Session, lead_id: int, user: User) -> Claim:
    """Make `user` the owner of an unowned lead and accept it (MQL → SAL, audited).

    The owner is set by one conditional UPDATE (`WHERE owner_id IS NULL`), so of two racing
    claims exactly one changes the row; the other raises AlreadyClaimed naming the owner. A lead
    already past MQL (SAL, SQL) only gets its owner; a new or nurtured one is first made an MQL.
    The caller commits, or rolls back on an error (then nothing was changed).
    """
    if not user.active or user.role not in CLAIMERS:
        raise PermissionDenied(f"only active SDRs and managers can claim leads ({user.email})")
    lead = get_lead(session=session, lead_id=lead_id)
    session.refresh(lead)
    _refuse_unclaimable(session, lead, user)
    if lead.owner_id == user.id:
        return Claim(lead=lead, claimed=False)
    now = utcnow()
    taken = session.execute(
        update(Lead)
        .where(col(Lead.id) == lead_id, col(Lead.owner_id).is_(None))
        .values(owner_id=user.id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(lead)
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        _refuse_unclaimable(session, lead, user)  # another claim committed first
        return Claim(lead=lead, claimed=False)
    _refuse_unclaimable(session, lead, user)  # disqualified meanwhile: the caller rolls back
    actor = _actor(user)
    reason = f"claimed as a hot lead by {user.email}"
    if lead.stage in _TO_MQL:
        move_stage(
            session=session, lead=lead, event=_TO_MQL[lead.stage], actor=actor, reason=reason
        )
    if lead.stage is Stage.MQL:
        move_stage(session=session, lead=lead, event=StageEvent.ACCEPT, actor=actor, reason=reason)
    enqueue(
        session=session,
        kind=EVENT,
        topic=CLAIMED,
        payload={"lead_id": lead_id, "owner": user.id, "at": now.isoformat()},
    )
    return Claim(lead=lead, claimed=True)
