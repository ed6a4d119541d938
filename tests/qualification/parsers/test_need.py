from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualification.parsers.need import parse_need
from qualification.parsers.result import AnswerKind, PainPoint, ParseStatus

PAIN_POINTS = (
    PainPoint("manual_entry", "Manual data entry", ("manual", "manual data entry", "spreadsheets")),
    PainPoint("slow_follow_up", "Slow lead follow-up", ("leads go cold", "response time")),
    PainPoint("no_visibility", "No pipeline visibility", ("pipeline visibility", "forecast")),
    PainPoint("crm", "CRM hygiene", ("crm", "duplicates")),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("our reps waste hours on manual data entry", ["manual_entry"]),
        ("MANUAL DATA ENTRY", ["manual_entry"]),
        ("too much manual data-entry", ["manual_entry"]),
        ("lead follow up is too sloww", ["slow_follow_up"]),
        ("slow lead followup", ["slow_follow_up"]),
        ("leads go cold before we call them", ["slow_follow_up"]),
        ("our response time is terrible", ["slow_follow_up"]),
        ("Our forecasts are always wrong", ["no_visibility"]),
        ("we have no pipline visibilty at all", ["no_visibility"]),
        ("tons of duplicates in the CRM", ["crm"]),
        ("we live in spreadsheats", ["manual_entry"]),
        ("reporting is fine but leads go cold and the forecast is a guess",
         ["no_visibility", "slow_follow_up"]),
        ("we want to grow revenue", []),
        ("our annual budget is approved", []),  # "annual" is not a typo of "manual"
        ("we do it all manually", ["manual_entry"]),
        ("I like turtles", []),
        ("we're hiring", []),
        ("the weather is nice today and the team went out for lunch", []),
    ],
)  # fmt: skip
def test_matches(text: str, expected: list[str]) -> None:
    result = parse_need(text, pain_points=PAIN_POINTS)
    assert result.kind is AnswerKind.NEED
    assert result.status is ParseStatus.OK
    assert result.value is not None
    assert sorted(m.pain_point for m in result.value.matches) == sorted(expected)
    assert result.value.text == text
    assert all(0.8 <= m.score <= 1.0 for m in result.value.matches)


def test_matched_answers_are_confident_and_unmatched_are_not() -> None:
    matched = parse_need("manual data entry", pain_points=PAIN_POINTS)
    unmatched = parse_need("we want to grow revenue", pain_points=PAIN_POINTS)
    assert matched.confidence >= 0.9
    assert unmatched.confidence == pytest.approx(0.65)
    assert matched.summary == "pain points: Manual data entry"


def test_best_match_first() -> None:
    value = parse_need("manual data entry and some crm issues", pain_points=PAIN_POINTS).value
    assert value is not None
    scores = [m.score for m in value.matches]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("no real need", ParseStatus.NONE),
        ("just browsing", ParseStatus.NONE),
        ("nothing", ParseStatus.NONE),
        ("Nothing in particular", ParseStatus.NONE),
        ("not sure", ParseStatus.UNKNOWN),
        ("", ParseStatus.INVALID),
        ("  ... ", ParseStatus.INVALID),
    ],
)
def test_no_need(text: str, status: ParseStatus) -> None:
    result = parse_need(text, pain_points=PAIN_POINTS)
    assert result.status is status
    assert result.value is None


def test_without_configured_pain_points_the_text_is_kept() -> None:
    result = parse_need("manual data entry", pain_points=())
    assert result.status is ParseStatus.OK
    assert result.value is not None
    assert result.value.matches == () and result.value.text == "manual data entry"


@settings(deadline=None)
@given(st.text())
def test_never_raises(text: str) -> None:
    result = parse_need(text, pain_points=PAIN_POINTS)
    assert 0.0 <= result.confidence <= 1.0
