"""The end of a flow: recommend, and (when asked to) move the lead accordingly."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from dialogs.prompt import Outcome
from qualification.lifecycle import Actor, StageEvent
from qualification.recommendation import recommend
from qualification.rules import RuleSet
from qualification.stages import Action, Stage
from storage.answers import answer_facts
from storage.handoffs import pending_handoff, request_handoff
from storage.leads import move_stage
from storage.ledger import lead_facts, ledger
from storage.models import Lead

CATEGORIES = ("fit", "behaviour", "bant", "decay")


def _reason(action: Action, reasons: tuple[str, ...]) -> str:
    detail = "; ".join(reasons) if reasons else action.value
    return f"qualification chat: {detail}"[:2000]


def _apply(
    *,
    session: Session,
    lead: Lead,
    action: Action,
    reasons: tuple[str, ...],
    actor: Actor,
    rules: RuleSet,
) -> bool:
    reason = _reason(action, reasons)
    if action is Action.HANDOFF:
        if lead.stage == Stage.NEW:
            move_stage(
                session=session, lead=lead, event=StageEvent.MARK_MQL, actor=actor, reason=reason
            )
        if lead.stage == Stage.MQL:
            move_stage(
                session=session, lead=lead, event=StageEvent.ACCEPT, actor=actor, reason=reason
            )
        if lead.stage != Stage.SAL:
            return False
        assert lead.id is not None
        if pending_handoff(session=session, lead_id=lead.id) is None:
            request_handoff(session=session, lead=lead, actor=actor, rules=rules)
        return True
    if action is Action.NURTURE:
        if lead.stage not in (Stage.MQL, Stage.SAL):
            return False
        move_stage(
            session=session,
            lead=lead,
            event=StageEvent.RETURN_TO_NURTURE,
            actor=actor,
            reason=reason,
        )
        return True
    if lead.stage in (Stage.SQL, Stage.DISQUALIFIED):
        return False
    move_stage(session=session, lead=lead, event=StageEvent.DISQUALIFY, actor=actor, reason=reason)
    return True


def finish_flow(
    *, session: Session, lead: Lead, rules: RuleSet, actor: Actor, apply: bool, now: datetime
) -> Outcome:
    """Recommend handoff, nurture or disqualify from the score and answers; apply if asked."""
    assert lead.id is not None
    recommendation = recommend(
        rules=rules,
        score=lead.score,
        answers=answer_facts(session=session, lead_id=lead.id),
        lead=lead_facts(lead),
        now=now,
    )
    applied = apply and _apply(
        session=session,
        lead=lead,
        action=recommendation.action,
        reasons=recommendation.reasons,
        actor=actor,
        rules=rules,
    )
    totals = dict.fromkeys(CATEGORIES, 0)
    for entry in ledger(session=session, lead_id=lead.id):
        totals[entry.category] = totals.get(entry.category, 0) + entry.points
    return Outcome(
        action=recommendation.action,
        reasons=recommendation.reasons,
        score=lead.score,
        applied=applied,
        stage=lead.stage,
        breakdown=tuple(totals.items()),
    )
