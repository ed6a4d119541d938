"""The end of a flow: recommend, and (when asked to) move the lead accordingly."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from dialogs.prompt import Outcome
from qualification.lifecycle import Actor, StageEvent
from qualification.recommendation import recommend
from qualification.rules import RuleSet
from qualification.scoring import LedgerLine
from qualification.stages import Action, Stage
from storage.answers import LeadAnswers, load_answers
from storage.handoffs import request_handoff
from storage.leads import move_stage
from storage.ledger import lead_facts, ledger_lines
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
        # Asking again returns the request already pending.
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
    *,
    session: Session,
    lead: Lead,
    rules: RuleSet,
    actor: Actor,
    apply: bool,
    now: datetime,
    answers: LeadAnswers | None = None,
    ledger: list[LedgerLine] | None = None,
) -> Outcome:
    """Recommend handoff, nurture or disqualify from the score and answers; apply if asked.

    `answers` and `ledger`: the lead's, when this transaction has read them already."""
    assert lead.id is not None
    if answers is None:
        answers = load_answers(session=session, lead_id=lead.id)
    recommendation = recommend(
        rules=rules,
        score=lead.score,
        answers=answers.facts(),
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
    if ledger is None:  # read after applying, like everything the outcome reports
        ledger = ledger_lines(session=session, lead_id=lead.id)
    totals = dict.fromkeys(CATEGORIES, 0)
    for line in ledger:
        category = line.category or ""
        totals[category] = totals.get(category, 0) + line.points
    return Outcome(
        action=recommendation.action,
        reasons=recommendation.reasons,
        score=lead.score,
        applied=applied,
        stage=lead.stage,
        breakdown=tuple(totals.items()),
    )
