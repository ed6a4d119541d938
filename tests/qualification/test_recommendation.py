"""recommend: handoff, nurture or disqualify, with reasons a person can read."""

from __future__ import annotations

from datetime import date, timedelta

from qualification.parsers.result import DecisionMaker
from qualification.recommendation import Recommendation, recommend
from qualification.rules import default_rules
from qualification.scoring import AnswerFacts, LeadFacts
from qualification.stages import Action, Dimension
from tests.qualification.rules_helpers import (
    NOW,
    SAMPLE_RULES,
    authority,
    budget,
    need,
    none,
    sample_rules,
    timeline,
    unknown,
)

RULES = sample_rules()
SOON = date(2026, 12, 15)


def decide(score: int, *answers: AnswerFacts, lead: LeadFacts | None = None) -> Recommendation:
    return recommend(rules=RULES, score=score, answers=answers, lead=lead, now=NOW)


def test_handoff_when_score_and_bant_are_enough() -> None:
    result = decide(72, budget(20_000), need("manual_work"), timeline(SOON))
    assert result.action is Action.HANDOFF
    assert result.score == 72
    assert result.reasons == (
        "Score 72 is above the SQL threshold 60",
        "Budget USD 20,000 a year is at or above the minimum USD 12,000",
        "Need matches 'Manual work'",
        "Timeline is within 3 months",
    )


def test_score_exactly_at_the_threshold_is_enough() -> None:
    result = decide(60, authority(DecisionMaker.SHARED), need("slow_follow_up"))
    assert result.action is Action.HANDOFF
    assert result.reasons[:2] == (
        "Score 60 meets the SQL threshold 60",
        "Shares the purchase decision",
    )


def test_nurture_when_the_score_is_too_low() -> None:
    result = decide(45, budget(20_000), need("manual_work"))
    assert result.action is Action.NURTURE
    assert result.reasons == ("Score 45 is below the SQL threshold 60",)


def test_nurture_when_a_required_dimension_is_missing() -> None:
    result = decide(80, budget(20_000), unknown(Dimension.NEED))
    assert result.action is Action.NURTURE
    assert result.reasons == ("Need not known yet",)


def test_nurture_when_neither_budget_nor_authority_is_positive() -> None:
    result = decide(80, none(Dimension.BUDGET), authority(DecisionMaker.NO), need("manual_work"))
    assert result.action is Action.NURTURE
    assert result.reasons == ("No budget yet", "Not the decision maker")


def test_nurture_names_every_unfavourable_answer() -> None:
    far = NOW.date() + timedelta(days=400)
    result = decide(30, budget(5_000), need("manual_work"), timeline(far))
    assert result.action is Action.NURTURE
    assert result.reasons == (
        "Score 30 is below the SQL threshold 60",
        "Budget is below the minimum of USD 12,000 a year",
        "Decision maker not known yet",
        "Timeline is beyond 3 months",
    )


def test_timeline_is_judged_as_of_now() -> None:
    start = NOW.date() + timedelta(days=120)
    later = recommend(rules=RULES, score=30, answers=[timeline(start)], now=NOW)
    sooner = recommend(rules=RULES, score=30, answers=[timeline(start)], now=NOW + timedelta(60))
    assert "Timeline is beyond 3 months" in later.reasons
    assert "Timeline is beyond 3 months" not in sooner.reasons


def test_disqualify_on_no_budget_and_no_need() -> None:
    result = decide(70, none(Dimension.BUDGET), none(Dimension.NEED))
    assert result.action is Action.DISQUALIFY
    assert result.reasons == ("Said there is no budget and no need",)
    assert decide(70, none(Dimension.BUDGET), unknown(Dimension.NEED)).action is Action.NURTURE


def test_disqualify_excluded_industry_and_country() -> None:
    lead = LeadFacts(industry="Competitor  software", country="kp")
    result = decide(90, budget(50_000), need("manual_work"), lead=lead)
    assert result.action is Action.DISQUALIFY
    assert result.reasons == (
        "Industry 'competitor software' is excluded",
        "Country 'KP' is excluded",
    )
    assert decide(90, budget(50_000), need("manual_work"), lead=LeadFacts(country="US")).action is (
        Action.HANDOFF
    )


def test_without_handoff_requirements_the_score_alone_decides() -> None:
    start = SAMPLE_RULES.index("handoff_requires:")
    end = SAMPLE_RULES.index("disqualify:")
    rules = sample_rules(SAMPLE_RULES[:start] + SAMPLE_RULES[end:])
    result = recommend(rules=rules, score=61, answers=[], now=NOW)
    assert (result.action, result.reasons) == (
        Action.HANDOFF,
        ("Score 61 is above the SQL threshold 60",),
    )


def test_default_rules_need_need_and_budget_or_authority() -> None:
    rules = default_rules()
    enough = [need("manual_work"), authority(DecisionMaker.YES)]
    assert (
        recommend(rules=rules, score=rules.sql_threshold, answers=enough).action is Action.HANDOFF
    )
    assert recommend(rules=rules, score=rules.sql_threshold, answers=enough[1:]).action is (
        Action.NURTURE
    )
