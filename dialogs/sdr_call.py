"""An SDR's discovery call: answers typed into a form, parsed, stored as the SDR's, re-scored.

Channel-neutral (Slack modals use it; a dashboard form could). Parsing is pure and happens
first, so a form with an unreadable answer changes nothing; storing is one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from dialogs.flow import DONE, Flow, Step
from dialogs.outcome import finish_flow
from dialogs.prompt import Outcome
from qualification.lifecycle import Actor, ActorKind, StageEvent
from qualification.parsers import ParseContext, parse_answer
from qualification.parsers.result import ParseResult, ParseStatus
from qualification.rules import RuleSet
from qualification.stages import GivenBy, Stage
from storage.answers import current_answers, record_answer
from storage.handoffs import pending_handoff, request_handoff
from storage.leads import get_lead, lock_lead, move_stage
from storage.ledger import rescore_lead
from storage.models import BantAnswer, Conversation, HandoffRequest, Lead, Message, User

CHANNEL = "slack"


def call_steps(flow: Flow) -> tuple[Step, ...]:
    """The flow's BANT questions (steps that answer a dimension), in flow order."""
    return tuple(step for step in flow.steps if step.dimension is not None)


@dataclass(frozen=True)
class ParsedCall:
    """Answers that parsed, by step id, and a message for each that did not."""

    answers: dict[str, tuple[str, ParseResult[Any]]]
    errors: dict[str, str]


def parse_call(*, flow: Flow, rules: RuleSet, inputs: Mapping[str, str], today: date) -> ParsedCall:
    """Parse each non-blank input with the step's parser; blank inputs are left out."""
    answers: dict[str, tuple[str, ParseResult[Any]]] = {}
    errors: dict[str, str] = {}
    for step in call_steps(flow):
        raw = (inputs.get(step.id) or "").strip()
        if not raw:
            continue
        context = ParseContext(
            today=today,
            default_currency=rules.default_currency,
            pain_points=tuple(rules.pain_points),
            choices=step.quick_replies,
        )
        result = parse_answer(step.kind, raw, context=context)
        if result.status is ParseStatus.INVALID:
            errors[step.id] = result.summary or step.reprompt or "This answer could not be read."
        else:
            answers[step.id] = (raw, result)
    return ParsedCall(answers=answers, errors=errors)


def user_actor(user: User) -> Actor:
    return Actor(kind=ActorKind.USER, label=user.email, user_id=user.id)


def log_call(
    *,
    session: Session,
    lead_id: int,
    user: User,
    flow: Flow,
    call: ParsedCall,
    notes: str,
    rules: RuleSet,
    now: datetime,
) -> Outcome:
    """Store the call (a completed conversation with the notes), the changed answers as the
    SDR's, re-score, and return the recommendation. The caller commits.

    An answer left exactly as it was stored keeps its original author (for example the prospect).
    """
    lead = get_lead(session=session, lead_id=lead_id)
    known = current_answers(session=session, lead_id=lead_id)
    opening = {Stage.NEW: StageEvent.MARK_MQL, Stage.NURTURE: StageEvent.REENGAGE}
    if call.answers and lead.stage in opening:
        # A qualifying call opens the lead as a qualification chat does (DialogEngine.start),
        # so the form and the step-by-step chat leave the same stages and audit trail.
        move_stage(
            session=session,
            lead=lead,
            event=opening[lead.stage],
            actor=user_actor(user),
            reason=f"logged a qualification call ({CHANNEL})",
        )
    conversation = Conversation(
        lead_id=lead_id,
        channel=CHANNEL,
        flow_id=flow.id,
        flow_version=flow.version,
        state=DONE,
        status="completed",
        started_by_user_id=user.id,
        created_at=now,
        updated_at=now,
        completed_at=now,
    )
    session.add(conversation)
    session.flush()
    if notes.strip():
        session.add(
            Message(
                conversation_id=conversation.id or 0,
                seq=1,
                direction="in",
                author="sdr",
                author_user_id=user.id,
                text=notes.strip(),
            )
        )
    for step in call_steps(flow):
        if step.id not in call.answers or step.dimension is None:
            continue
        raw, result = call.answers[step.id]
        current = known.get(step.dimension)
        if current is not None and current.raw_text.strip() == raw:
            continue
        record_answer(
            session=session,
            lead=lead,
            dimension=step.dimension,
            result=result,
            raw_text=raw,
            given_by=GivenBy.SDR,
            user_id=user.id,
            conversation_id=conversation.id,
            step_id=step.id,
        )
    actor = user_actor(user)
    rescore_lead(session=session, lead=lead, rules=rules, now=now, actor=actor)
    return finish_flow(session=session, lead=lead, rules=rules, actor=actor, apply=False, now=now)


def prefill(*, session: Session, lead_id: int) -> dict[str, BantAnswer]:
    """The answers a call form starts with, by dimension value."""
    return {d.value: a for d, a in current_answers(session=session, lead_id=lead_id).items()}


def ask_for_handoff(
    *, session: Session, lead_id: int, user: User, rules: RuleSet
) -> tuple[HandoffRequest, bool]:
    """Accept the lead (MQL → SAL, owned by the SDR) and request its handoff.

    Returns the request and whether it is new (False when one was already pending).
    """
    lead = lock_lead(session=session, lead=get_lead(session=session, lead_id=lead_id))
    actor = user_actor(user)
    reason = f"qualified on a call by {user.email}"
    for stage, event in ((Stage.NEW, StageEvent.MARK_MQL), (Stage.MQL, StageEvent.ACCEPT)):
        if lead.stage is stage:
            move_stage(session=session, lead=lead, event=event, actor=actor, reason=reason)
    if lead.owner_id is None:
        lead.owner_id = user.id
        session.add(lead)
    existing = pending_handoff(session=session, lead_id=lead_id)
    if existing is not None:
        return existing, False
    return request_handoff(session=session, lead=lead, actor=actor, rules=rules), True


def return_to_nurture(*, session: Session, lead_id: int, user: User, reason: str) -> Lead:
    """Pass the lead back to marketing with the SDR's reason (audited; sent on via the outbox)."""
    lead = get_lead(session=session, lead_id=lead_id)
    move_stage(
        session=session,
        lead=lead,
        event=StageEvent.RETURN_TO_NURTURE,
        actor=user_actor(user),
        reason=reason.strip() or "returned to nurture after a call",
    )
    return lead
