from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualification.parsers import LOW_CONFIDENCE, ParseContext, parse_answer
from qualification.parsers.result import (
    AnswerKind,
    AuthorityValue,
    Choice,
    MoneyValue,
    NeedValue,
    PainPoint,
    ParseStatus,
    TimelineValue,
)

CONTEXT = ParseContext(
    today=date(2026, 11, 23),
    default_currency="GBP",
    pain_points=(PainPoint("manual_entry", "Manual data entry", ("spreadsheets",)),),
    choices=(Choice("saas", "Software"), Choice("retail", "Retail"), Choice("other", "Other")),
)


@pytest.mark.parametrize(
    ("kind", "text", "expected_type"),
    [
        (AnswerKind.MONEY, "50k a year", MoneyValue),
        (AnswerKind.TIMELINE, "next quarter", TimelineValue),
        (AnswerKind.ROLE, "my CFO decides", AuthorityValue),
        (AnswerKind.NEED, "we live in spreadsheets", NeedValue),
        (AnswerKind.CHOICE, "2", str),
        (AnswerKind.YES_NO, "yep", bool),
        (AnswerKind.EMAIL, "jane@acme.com", str),
        (AnswerKind.NUMBER, "250", float),
        (AnswerKind.TEXT, "hello", str),
    ],
)
def test_dispatch_by_kind(kind: AnswerKind, text: str, expected_type: type) -> None:
    result = parse_answer(kind, text, context=CONTEXT)
    assert result.kind is kind
    assert result.status is ParseStatus.OK
    assert isinstance(result.value, expected_type)


def test_context_reaches_the_parsers() -> None:
    money = parse_answer(AnswerKind.MONEY, "50k", context=CONTEXT).value
    assert isinstance(money, MoneyValue) and money.currency == "GBP"
    assert parse_answer(AnswerKind.CHOICE, "retail", context=CONTEXT).value == "retail"
    timeline = parse_answer(AnswerKind.TIMELINE, "this year", context=CONTEXT).value
    assert isinstance(timeline, TimelineValue) and timeline.end == date(2026, 12, 31)


def test_low_confidence_threshold() -> None:
    assert LOW_CONFIDENCE == 0.6


LONG = st.builds(
    lambda piece, n: (piece * n)[:10_000],
    st.text(min_size=1, max_size=40)
    | st.sampled_from(["50k ", "next quarter ", "my CFO decides ", "a@b.co ", "\x00\u202e"]),
    st.just(10_000),
)


@settings(deadline=None)
@given(st.sampled_from(list(AnswerKind)), st.text())
def test_no_parser_raises(kind: AnswerKind, text: str) -> None:
    result = parse_answer(kind, text, context=CONTEXT)
    assert result.kind is kind
    assert result.status in ParseStatus
    assert 0.0 <= result.confidence <= 1.0
    assert result.summary
    assert (result.value is None) or result.status is not ParseStatus.INVALID


@settings(deadline=None, max_examples=30)
@given(st.sampled_from(list(AnswerKind)), LONG)
def test_long_answers_complete(kind: AnswerKind, text: str) -> None:
    result = parse_answer(kind, text, context=CONTEXT)
    assert result.status in ParseStatus
    assert result.summary and len(result.summary) < 3_000
