from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualification.parsers.result import AnswerKind, ParseStatus
from qualification.parsers.timeline import parse_timeline

TODAY = date(2026, 11, 23)  # a Monday in Q4


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("this quarter", "2026-11-23", "2026-12-31"),
        ("next quarter", "2027-01-01", "2027-03-31"),
        ("Q3", "2027-07-01", "2027-09-30"),  # Q3 2026 is over: the next one
        ("Q4", "2026-11-23", "2026-12-31"),  # the current quarter, from today
        ("q1 2027", "2027-01-01", "2027-03-31"),
        ("by Q2", "2026-11-23", "2027-06-30"),
        ("in 6 weeks", "2027-01-04", "2027-01-04"),
        ("within 90 days", "2026-11-23", "2027-02-21"),
        ("in 2 to 3 months", "2027-01-23", "2027-02-23"),
        ("in 2-3 weeks", "2026-12-07", "2026-12-14"),
        ("in a couple of weeks", "2026-12-07", "2026-12-07"),
        ("next month", "2026-12-01", "2026-12-31"),
        ("by March", "2026-11-23", "2027-03-31"),
        ("in March", "2027-03-01", "2027-03-31"),
        ("mid-June", "2027-06-11", "2027-06-20"),
        ("March 15", "2027-03-15", "2027-03-15"),
        ("by june 2027", "2026-11-23", "2027-06-30"),
        ("end of next year", "2027-10-01", "2027-12-31"),
        ("by the end of the year", "2026-11-23", "2026-12-31"),
        ("this year", "2026-11-23", "2026-12-31"),
        ("next year", "2027-01-01", "2027-12-31"),
        ("early 2027", "2027-01-01", "2027-04-30"),
        ("late 2027", "2027-09-01", "2027-12-31"),
        ("H2", "2026-11-23", "2026-12-31"),
        ("H1", "2027-01-01", "2027-06-30"),
        ("first half of next year", "2027-01-01", "2027-06-30"),
        ("ASAP", "2026-11-23", "2026-12-23"),
        ("immediately", "2026-11-23", "2026-12-23"),
        ("right away please", "2026-11-23", "2026-12-23"),
        ("not for a while", "2027-08-20", "2028-11-22"),
        ("next week", "2026-11-30", "2026-12-06"),
        ("by friday", "2026-11-23", "2026-11-27"),
        ("2027-02-01", "2027-02-01", "2027-02-01"),
        ("this summer", "2027-06-01", "2027-08-31"),
        ("we may buy in may", "2027-05-01", "2027-05-31"),
    ],
)
def test_windows(text: str, start: str, end: str) -> None:
    result = parse_timeline(text, today=TODAY)
    assert result.kind is AnswerKind.TIMELINE
    assert result.status is ParseStatus.OK
    assert result.value is not None
    assert (result.value.start, result.value.end) == (d(start), d(end))


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("no idea", ParseStatus.UNKNOWN),
        ("not sure", ParseStatus.UNKNOWN),
        ("TBD", ParseStatus.UNKNOWN),
        ("never", ParseStatus.NONE),
        ("no plans", ParseStatus.NONE),
        ("we're not looking to buy", ParseStatus.NONE),
        ("blue", ParseStatus.INVALID),
        ("", ParseStatus.INVALID),
        ("may", ParseStatus.INVALID),  # a verb more often than a month when alone
        ("Q3 2025", ParseStatus.INVALID),  # already over
    ],
)
def test_without_a_window(text: str, status: ParseStatus) -> None:
    result = parse_timeline(text, today=TODAY)
    assert result.status is status
    assert result.value is None
    assert result.summary


def test_summary_and_label() -> None:
    result = parse_timeline("Q3", today=date(2026, 5, 10))
    assert result.summary == "2026-07-01 to 2026-09-30 (Q3)"
    assert result.value is not None and result.value.label == "Q3"
    assert parse_timeline("in 6 weeks", today=TODAY).summary == "2027-01-04 (in 6 weeks)"


def test_vague_answers_are_less_confident() -> None:
    sure = parse_timeline("next quarter", today=TODAY)
    hedged = parse_timeline("maybe next quarter", today=TODAY)
    vague = parse_timeline("not for a while", today=TODAY)
    assert hedged.confidence < sure.confidence
    assert vague.confidence == pytest.approx(0.5)


def test_current_quarter_in_other_months() -> None:
    value = parse_timeline("this quarter", today=date(2026, 2, 14)).value
    assert value is not None
    assert (value.start, value.end) == (date(2026, 2, 14), date(2026, 3, 31))
    value = parse_timeline("next quarter", today=date(2026, 12, 31)).value
    assert value is not None and value.start == date(2027, 1, 1)


@settings(deadline=None)
@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2200, 12, 31)),
    st.sampled_from(
        [
            "this quarter", "next quarter", "Q1", "q2", "Q3", "Q4", "H1", "H2", "next month",
            "by March", "in December", "end of next year", "this year", "early 2150",
            "ASAP", "not for a while", "in 6 weeks", "within 90 days", "in 2 to 3 months",
            "by the end of the year", "next week", "this summer", "mid-February", "31 March",
            "29 feb", "by friday", "in 120 months",
        ]
    ),
)  # fmt: skip
def test_windows_never_end_before_they_start(today: date, text: str) -> None:
    result = parse_timeline(text, today=today)
    assert result.status in (ParseStatus.OK, ParseStatus.INVALID)
    if result.value is not None:
        assert today <= result.value.start <= result.value.end
        assert result.value.end <= today + timedelta(days=366 * 11)


@settings(deadline=None)
@given(st.text())
def test_never_raises(text: str) -> None:
    result = parse_timeline(text, today=TODAY)
    if result.value is not None:
        assert result.value.start <= result.value.end
