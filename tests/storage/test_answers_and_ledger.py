"""Answers outrank by source; the ledger always sums to the score, across rules changes."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from sqlmodel import Session, select

from qualification.lifecycle import Actor, ActorKind, StageEvent
from qualification.parsers.result import (
    AnswerKind,
    AuthorityValue,
    DecisionMaker,
    MoneyValue,
    ParseResult,
    ParseStatus,
    Period,
)
from qualification.rules import RuleSet, default_rules
from qualification.stages import Dimension, EventKind, GivenBy, Stage
from storage.answers import current_answers, record_answer
from storage.events import record_event
from storage.leads import move_stage, stage_history
from storage.ledger import ledger, ledger_sum, rescore_lead
from storage.models import Lead, StageChange
from tests.factories import make_lead

RULES = default_rules()
SDR = Actor(kind=ActorKind.USER, label="sam@example.com")
# Leads are created at the real time, so scoring happens then too (no inactivity decay).
NOW = datetime.now(UTC)


def budget(amount: float) -> ParseResult[MoneyValue]:
    return ParseResult(
        kind=AnswerKind.MONEY,
        status=ParseStatus.OK,
        value=MoneyValue(minimum=amount, maximum=amount, currency="USD", period=Period.YEAR),
        confidence=0.9,
        summary=f"USD {amount:,.0f} per year",
    )


def decision_maker() -> ParseResult[AuthorityValue]:
    return ParseResult(
        kind=AnswerKind.ROLE,
        status=ParseStatus.OK,
        value=AuthorityValue(decision_maker=DecisionMaker.YES, role="VP of Sales"),
        confidence=0.9,
        summary="decision maker",
    )


def _record(session: Session, lead: Lead, amount: float, given_by: GivenBy) -> None:
    record_answer(
        session=session,
        lead=lead,
        dimension=Dimension.BUDGET,
        result=budget(amount),
        raw_text=f"{amount}",
        given_by=given_by,
    )
    session.commit()


def test_sdr_answer_outranks_a_later_prospect_answer(session: Session) -> None:
    lead = make_lead(session)
    _record(session, lead, 50_000, GivenBy.SDR)
    _record(session, lead, 5_000, GivenBy.PROSPECT)
    current = current_answers(session=session, lead_id=lead.id or 0)
    assert current[Dimension.BUDGET].given_by is GivenBy.SDR
    assert current[Dimension.BUDGET].parsed["summary"] == "USD 50,000 per year"


def test_sdr_answer_replaces_an_earlier_prospect_answer(session: Session) -> None:
    lead = make_lead(session)
    _record(session, lead, 5_000, GivenBy.PROSPECT)
    _record(session, lead, 50_000, GivenBy.SDR)
    current = current_answers(session=session, lead_id=lead.id or 0)
    assert current[Dimension.BUDGET].given_by is GivenBy.SDR


def test_ledger_sums_to_score_and_explains_it(session: Session) -> None:
    lead = make_lead(session, industry="software", employee_count=250, country="US")
    _record(session, lead, 50_000, GivenBy.PROSPECT)
    record_answer(
        session=session,
        lead=lead,
        dimension=Dimension.AUTHORITY,
        result=decision_maker(),
        raw_text="I sign off",
        given_by=GivenBy.PROSPECT,
    )
    entries = rescore_lead(session=session, lead=lead, rules=RULES, now=NOW)
    session.commit()
    assert entries, "a scored lead has ledger entries"
    assert lead.score == ledger_sum(session=session, lead_id=lead.id or 0) > 0
    rule_ids = {e.rule_id for e in ledger(session=session, lead_id=lead.id or 0)}
    assert any(r.startswith("bant.budget") for r in rule_ids)
    assert any(r.startswith("fit.") for r in rule_ids)
    # Nothing changed: re-scoring adds nothing.
    assert rescore_lead(session=session, lead=lead, rules=RULES, now=NOW) == []


def test_rules_change_appends_reversals_and_keeps_the_sum(session: Session) -> None:
    lead = make_lead(session, industry="software")
    rescore_lead(session=session, lead=lead, rules=RULES, now=NOW)
    session.commit()
    before = lead.score
    no_icp = dataclasses.replace(RULES, version="test-no-icp", mql_threshold=RULES.mql_threshold)
    fit = dataclasses.replace(RULES.fit, industries=())
    no_icp = dataclasses.replace(no_icp, fit=fit)
    deltas = rescore_lead(session=session, lead=lead, rules=no_icp, now=NOW)
    session.commit()
    assert deltas and all(d.rules_version == "test-no-icp" for d in deltas)
    assert lead.score == before - 10  # software was worth 10 points
    assert lead.score == ledger_sum(session=session, lead_id=lead.id or 0)
    reversal = next(d for d in deltas if d.rule_id.startswith("fit.industr"))
    assert reversal.points == -10 and "rules changed" in reversal.note
    # The old entry stays: history is appended to, never rewritten.
    industry = [
        e for e in ledger(session=session, lead_id=lead.id or 0) if e.rule_id == reversal.rule_id
    ]
    assert [e.points for e in industry] == [10, -10]
    assert industry[0].rules_version == RULES.version


def test_a_superseded_answer_is_reversed_in_the_ledger(session: Session) -> None:
    lead = make_lead(session)
    _record(session, lead, 50_000, GivenBy.PROSPECT)
    rescore_lead(session=session, lead=lead, rules=RULES, now=NOW)
    _record(session, lead, 2_000, GivenBy.SDR)  # below the budget minimum: 0 points
    deltas = rescore_lead(session=session, lead=lead, rules=RULES, now=NOW)
    session.commit()
    budget_lines = [d for d in deltas if d.rule_id.startswith("bant.budget")]
    assert any(d.points == -15 and d.note.startswith("reversed") for d in budget_lines)
    assert lead.score == ledger_sum(session=session, lead_id=lead.id or 0)


def test_a_new_lead_becomes_an_mql_exactly_at_the_threshold(session: Session) -> None:
    lead = make_lead(session)
    rescore_lead(session=session, lead=lead, rules=_threshold(10_000), now=NOW)
    score = lead.score
    assert score > 0
    rescore_lead(session=session, lead=lead, rules=_threshold(score + 1), now=NOW)
    assert lead.stage is Stage.NEW
    rescore_lead(session=session, lead=lead, rules=_threshold(score), now=NOW)
    session.commit()
    assert Stage(lead.stage) is Stage.MQL
    change = session.exec(select(StageChange)).one()
    assert (change.event, change.actor) == ("mark_mql", "system:scoring")
    assert f"score {score} reached the MQL threshold ({score})" == change.reason


def test_a_nurtured_lead_reengages_when_its_score_rises_to_the_threshold(session: Session) -> None:
    rules = _threshold(10_000)
    lead = make_lead(session)
    rescore_lead(session=session, lead=lead, rules=rules, now=NOW)
    move_stage(session=session, lead=lead, event=StageEvent.MARK_MQL, actor=SDR, reason="list")
    move_stage(
        session=session, lead=lead, event=StageEvent.RETURN_TO_NURTURE, actor=SDR, reason="later"
    )
    session.commit()
    rules = _threshold(lead.score + 10)
    # Already-known facts do not bring it back, even when a re-score runs.
    rescore_lead(session=session, lead=lead, rules=rules, now=NOW)
    assert lead.stage is Stage.NURTURE
    # New interest does.
    record_event(
        session=session,
        lead=lead,
        kind=EventKind.DEMO_REQUEST,
        occurred_at=NOW,
        rules=rules,
        now=NOW,
    )
    session.commit()
    assert Stage(lead.stage) is Stage.MQL
    last = stage_history(session=session, lead_id=lead.id or 0)[-1]
    assert (last.event, last.from_stage, last.to_stage) == ("reengage", Stage.NURTURE, Stage.MQL)


def test_a_nurtured_lead_above_the_threshold_stays_when_its_score_falls(session: Session) -> None:
    lead = make_lead(session)
    rescore_lead(session=session, lead=lead, rules=_threshold(10_000), now=NOW)
    before = lead.score
    move_stage(session=session, lead=lead, event=StageEvent.MARK_MQL, actor=SDR, reason="list")
    move_stage(
        session=session, lead=lead, event=StageEvent.RETURN_TO_NURTURE, actor=SDR, reason="later"
    )
    record_event(
        session=session,
        lead=lead,
        kind=EventKind.UNSUBSCRIBE,
        occurred_at=NOW,
        rules=_threshold(1),
        now=NOW,
    )
    session.commit()
    assert 1 <= lead.score < before
    assert lead.stage is Stage.NURTURE


def _threshold(points: int) -> RuleSet:
    return dataclasses.replace(RULES, mql_threshold=points)
