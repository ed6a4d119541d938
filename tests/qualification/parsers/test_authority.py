from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualification.parsers import LOW_CONFIDENCE
from qualification.parsers.authority import parse_authority
from qualification.parsers.result import (
    AnswerKind,
    AuthorityValue,
    DecisionMaker,
    ParseStatus,
    Seniority,
)

YES, NO, SHARED = DecisionMaker.YES, DecisionMaker.NO, DecisionMaker.SHARED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I'm the VP of Sales and I sign off",
            AuthorityValue(YES, "VP of Sales", Seniority.VP),
        ),
        ("my CFO decides", AuthorityValue(NO, others=("CFO",))),
        ("I'd need to run it by my boss", AuthorityValue(NO, others=("boss",))),
        ("we decide as a team", AuthorityValue(SHARED)),
        ("I'm the decision maker", AuthorityValue(YES)),
        ("it's my call", AuthorityValue(YES)),
        ("it's me and our CTO", AuthorityValue(SHARED, others=("CTO",))),
        ("procurement has the final say", AuthorityValue(NO, others=("procurement",))),
        ("the CFO and I decide together", AuthorityValue(SHARED, others=("CFO",))),
        ("I have the final say", AuthorityValue(YES)),
        ("up to me", AuthorityValue(YES)),
        ("Me", AuthorityValue(YES)),
        ("not my call", AuthorityValue(NO)),
        ("I recommend, the board approves", AuthorityValue(NO, others=("board",))),
        ("I need approval from the board", AuthorityValue(NO, others=("board",))),
        ("we need legal to approve it", AuthorityValue(NO, others=("legal",))),
        (
            "I'm the Director of IT, but the CFO signs off",
            AuthorityValue(NO, "Director of IT", Seniority.DIRECTOR, ("CFO",)),
        ),
        (
            "I'm not the decision maker, our Head of Finance is",
            AuthorityValue(NO, others=("head of finance",)),
        ),
        ("my manager and I", AuthorityValue(SHARED, others=("manager",))),
        ("The CEO", AuthorityValue(NO, others=("CEO",))),
    ],
)
def test_decisions(text: str, expected: AuthorityValue) -> None:
    result = parse_authority(text)
    assert result.kind is AnswerKind.ROLE
    assert result.status is ParseStatus.OK
    assert result.value == expected


def test_summaries() -> None:
    assert parse_authority("my CFO decides").summary == "not the decision maker; CFO decides"
    assert parse_authority("I'm the VP of Sales and I sign off").summary == (
        "decision maker (VP of Sales)"
    )
    assert parse_authority("it's me and our CTO").summary == "shares the decision with CTO"


def test_a_title_alone_is_confirmed_before_it_counts() -> None:
    founder = parse_authority("I'm the founder")
    assert founder.value == AuthorityValue(YES, "founder", Seniority.C_LEVEL)
    assert founder.confidence < LOW_CONFIDENCE
    manager = parse_authority("I'm a sales manager")
    assert manager.status is ParseStatus.UNKNOWN
    assert manager.value == AuthorityValue(
        DecisionMaker.UNKNOWN, "sales manager", Seniority.MANAGER
    )


@pytest.mark.parametrize("text", ["hmm", "who knows", "not sure", "purple monkey"])
def test_unclear_is_unknown(text: str) -> None:
    result = parse_authority(text)
    assert result.status is ParseStatus.UNKNOWN
    assert result.value is not None and result.value.decision_maker is DecisionMaker.UNKNOWN


def test_unclear_is_less_confident_than_not_sure() -> None:
    assert parse_authority("purple monkey").confidence < LOW_CONFIDENCE
    assert parse_authority("purple monkey").confidence < parse_authority("not sure").confidence


@pytest.mark.parametrize("text", ["", "   ", "?!"])
def test_empty_is_invalid(text: str) -> None:
    assert parse_authority(text).status is ParseStatus.INVALID


@settings(deadline=None)
@given(st.text())
def test_never_raises(text: str) -> None:
    result = parse_authority(text)
    assert 0.0 <= result.confidence <= 1.0
