from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualification.parsers import ParseContext, parse_answer
from qualification.parsers.result import (
    AnswerKind,
    AuthorityValue,
    Choice,
    DecisionMaker,
    MoneyValue,
    NeedValue,
    PainPoint,
    PainPointMatch,
    ParseResult,
    ParseStatus,
    Period,
    Seniority,
    TimelineValue,
)
from qualification.parsers.serialize import result_from_json, result_to_json

CONTEXT = ParseContext(
    today=date(2026, 11, 23),
    default_currency="EUR",
    pain_points=(PainPoint("manual_entry", "Manual data entry", ("spreadsheets",)),),
    choices=(Choice("saas", "Software", ("software",)), Choice("retail", "Retail")),
)

SAMPLES: list[ParseResult[Any]] = [
    ParseResult(
        AnswerKind.MONEY,
        ParseStatus.OK,
        MoneyValue(None, 5000.0, "USD", Period.MONTH, approximate=True),
        0.75,
        "up to USD 5,000 per month",
        ("no currency given; assumed USD",),
    ),
    ParseResult(AnswerKind.MONEY, ParseStatus.NONE, None, 0.9, "no budget"),
    ParseResult(
        AnswerKind.TIMELINE,
        ParseStatus.OK,
        TimelineValue(date(2027, 7, 1), date(2027, 9, 30), "Q3 2027"),
        0.9,
        "2027-07-01 to 2027-09-30 (Q3 2027)",
    ),
    ParseResult(
        AnswerKind.ROLE,
        ParseStatus.OK,
        AuthorityValue(DecisionMaker.NO, "Director of IT", Seniority.DIRECTOR, ("CFO", "board")),
        0.85,
        "not the decision maker (Director of IT); CFO, board decide",
    ),
    ParseResult(
        AnswerKind.NEED,
        ParseStatus.OK,
        NeedValue((PainPointMatch("manual_entry", 0.92),), "we live in spreadsheets"),
        0.87,
        "pain points: Manual data entry",
    ),
    ParseResult(AnswerKind.YES_NO, ParseStatus.OK, False, 0.95, "no"),
    ParseResult(AnswerKind.NUMBER, ParseStatus.OK, 2500.0, 0.95, "2,500"),
    ParseResult(AnswerKind.EMAIL, ParseStatus.OK, "jane@acme.com", 0.95, "jane@acme.com"),
    ParseResult(AnswerKind.CHOICE, ParseStatus.INVALID, None, 0.0, "please pick one"),
]


@pytest.mark.parametrize("result", SAMPLES, ids=lambda r: f"{r.kind}-{r.status}")
def test_round_trip(result: ParseResult[Any]) -> None:
    data = result_to_json(result)
    assert data["kind"] == result.kind.value
    assert json.loads(json.dumps(data)) == data  # JSON-safe
    assert result_from_json(json.loads(json.dumps(data))) == result


def test_stored_shape_is_readable() -> None:
    data = result_to_json(SAMPLES[2])
    assert data["value"] == {
        "type": "timeline",
        "start": "2027-07-01",
        "end": "2027-09-30",
        "label": "Q3 2027",
    }
    assert data["status"] == "ok" and data["notes"] == []


def test_unknown_value_type_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown stored value type"):
        result_from_json(
            {"kind": "money", "status": "ok", "value": {"type": "nope"}, "confidence": 1,
             "summary": "x"}
        )  # fmt: skip


PHRASES = [
    "about 50k a year", "€15k per quarter", "no budget", "TBD", "next quarter", "in 6 weeks",
    "never", "I'm the VP of Sales and I sign off", "my CFO decides", "we decide as a team",
    "manual data entry in spreadsheets", "just browsing", "yes", "maybe", "2", "software",
    "jane.doe@acme.com", "about 50", "hello", "",
]  # fmt: skip


@settings(deadline=None)
@given(st.sampled_from(list(AnswerKind)), st.one_of(st.sampled_from(PHRASES), st.text()))
def test_every_parser_output_round_trips(kind: AnswerKind, text: str) -> None:
    result = parse_answer(kind, text, context=CONTEXT)
    data = result_to_json(result)
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert result_from_json(json.loads(json.dumps(data))) == result
