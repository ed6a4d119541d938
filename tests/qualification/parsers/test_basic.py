from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualification.parsers.basic import (
    parse_choice,
    parse_email,
    parse_number,
    parse_text,
    parse_yes_no,
)
from qualification.parsers.result import AnswerKind, Choice, ParseStatus
from qualification.parsers.text import normalise

SIZES = (
    Choice("small", "1-10 employees", ("tiny", "just us")),
    Choice("mid", "11-200 employees", ("medium", "mid-size")),
    Choice("large", "More than 200 employees", ("enterprise", "big")),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jane@acme.com", "jane@acme.com"),
        ("Jane.Doe@Acme.com", "Jane.Doe@acme.com"),
        ("my email is Jane.Doe@Acme.com", "Jane.Doe@acme.com"),
        ("It's bob@EXAMPLE.ORG.", "bob@example.org"),
        ("  sam+leads@sub.domain.co.uk  ", "sam+leads@sub.domain.co.uk"),
        ("<ana@acme.io>", "ana@acme.io"),
        ("reach me at ana@acme.io, thanks!", "ana@acme.io"),
        ("ANA@ACME.IO", "ANA@acme.io"),
        ("first.last@company.travel", "first.last@company.travel"),
        ("o'brien@acme.ie", "o'brien@acme.ie"),
        ("email: x_y-z@acme-corp.com", "x_y-z@acme-corp.com"),
        ("jose@acme.com (work)", "jose@acme.com"),
        ("you can use dev.team@acme.dev", "dev.team@acme.dev"),
        ("it is kim@acme.com thanks", "kim@acme.com"),
        ("Lee@Acme.Com", "Lee@acme.com"),
        ("mail me: lee.k@acme.com!", "lee.k@acme.com"),
        ("a@b.co", "a@b.co"),
        ("info@acme.com.", "info@acme.com"),
        ("contact=li@acme.com", "contact=li@acme.com"),
        ("sure, pat@acme.net", "pat@acme.net"),
    ],
)
def test_email_is_found_and_normalised(text: str, expected: str) -> None:
    result = parse_email(text)
    assert result.status is ParseStatus.OK
    assert result.value == expected
    assert result.confidence >= 0.6


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no",
        "jane at acme dot com",
        "jane@",
        "@acme.com",
        "jane@acme",
        "jane@@acme.com",
        "jane@acme..com",
        "a@b.com and c@d.com",
        "jane@-acme.com",
    ],
)
def test_invalid_email_explains(text: str) -> None:
    result = parse_email(text)
    assert result.status is ParseStatus.INVALID
    assert result.value is None
    assert result.summary


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *[(t, True) for t in ("yes", "Yes!", "yeah", "yep", "Yup.", "sure", "correct", "y", "1")],
        *[(t, True) for t in ("absolutely", "of course", "definitely", "ok", "Sure thing")],
        *[(t, False) for t in ("no", "No.", "nope", "nah", "not really", "n", "0", "no thanks")],
        *[(t, False) for t in ("definitely not", "not at all", "Nope, sorry")],
    ],
)
def test_yes_no(text: str, expected: bool) -> None:
    result = parse_yes_no(text)
    assert result.status is ParseStatus.OK
    assert result.value is expected


@pytest.mark.parametrize("text", ["maybe", "not sure", "perhaps", "It depends", "dunno"])
def test_maybe_is_unknown(text: str) -> None:
    assert parse_yes_no(text).status is ParseStatus.UNKNOWN


@pytest.mark.parametrize("text", ["", "purple", "what do you mean", "42"])
def test_neither_yes_nor_no_is_invalid(text: str) -> None:
    assert parse_yes_no(text).status is ParseStatus.INVALID


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", "small"),
        ("2", "mid"),
        ("#2", "mid"),
        ("option 3", "large"),
        ("Option 1.", "small"),
        ("number 2", "mid"),
        ("3)", "large"),
        ("small", "small"),
        ("MID", "mid"),
        ("11-200 employees", "mid"),
        ("more than 200 employees", "large"),
        ("medium", "mid"),
        ("Mid-size", "mid"),
        ("enterprise", "large"),
        ("just us", "small"),
        ("tiny!", "small"),
        ("11-200 employes", "mid"),
        ("entreprise", "large"),
        ("medum", "mid"),
        ("we're an enterprise", "large"),
        ("big", "large"),
    ],
)
def test_choice(text: str, expected: str) -> None:
    result = parse_choice(text, choices=SIZES)
    assert result.status is ParseStatus.OK
    assert result.value == expected


@pytest.mark.parametrize("text", ["", "4", "0", "option 9", "giraffe", "employees"])
def test_choice_invalid_lists_the_options(text: str) -> None:
    result = parse_choice(text, choices=SIZES)
    assert result.status is ParseStatus.INVALID
    assert "1. 1-10 employees" in result.summary


def test_choice_without_choices_is_invalid() -> None:
    assert parse_choice("1", choices=()).status is ParseStatus.INVALID


def test_ambiguous_choice_is_invalid() -> None:
    twins = (Choice("a", "Sales", ("team",)), Choice("b", "Support", ("team",)))
    assert parse_choice("team", choices=twins).status is ParseStatus.INVALID


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("250", 250.0),
        ("1,200", 1200.0),
        ("about 50", 50.0),
        ("2.5k", 2500.0),
        ("roughly 1,000,000", 1_000_000.0),
        ("12.5", 12.5),
        ("we have 40 people", 40.0),
        ("3 million", 3_000_000.0),
        ("-5", -5.0),
        ("0", 0.0),
        ("~300", 300.0),
        ("1.2m", 1_200_000.0),
        ("around 75 employees", 75.0),
        ("10k", 10_000.0),
        ("7", 7.0),
        ("approx. 90", 90.0),
        ("150 or so", 150.0),
        ("2 thousand", 2000.0),
        (".5", 0.5),
        ("It's 18", 18.0),
    ],
)
def test_number(text: str, expected: float) -> None:
    result = parse_number(text)
    assert result.status is ParseStatus.OK
    assert result.value == expected


@pytest.mark.parametrize("text", ["", "lots", "between 10 and 20", "n/a"])
def test_number_invalid(text: str) -> None:
    assert parse_number(text).status is ParseStatus.INVALID


def test_hedged_number_is_less_confident() -> None:
    sure, hedged = parse_number("50"), parse_number("about 50")
    assert hedged.confidence < sure.confidence
    assert hedged.summary == "about 50"


def test_text_is_trimmed() -> None:
    result = parse_text("  Acme   Corp \n")
    assert (result.status, result.value, result.kind) == (ParseStatus.OK, "Acme Corp", "text")


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\x00\x01"])
def test_empty_text_is_invalid(text: str) -> None:
    assert parse_text(text).status is ParseStatus.INVALID


@given(st.text())
def test_basic_parsers_never_raise(text: str) -> None:
    for result in (
        parse_email(text),
        parse_yes_no(text),
        parse_choice(text, choices=SIZES),
        parse_number(text),
        parse_text(text),
    ):
        assert 0.0 <= result.confidence <= 1.0
        assert result.summary
        assert (result.value is None) == (result.status is not ParseStatus.OK)


@given(
    st.lists(
        st.text(alphabet=st.characters(categories=("L",)), min_size=1, max_size=12),
        min_size=1,
        max_size=6,
        unique_by=lambda label: normalise(label).casefold(),
    )
)
def test_every_choice_label_and_number_parse_to_its_value(labels: list[str]) -> None:
    choices = tuple(Choice(f"v{i}", label) for i, label in enumerate(labels))
    for number, choice in enumerate(choices, 1):
        by_number = parse_choice(str(number), choices=choices)
        assert by_number.value == choice.value
        assert parse_choice(choice.label, choices=choices).value == choice.value
        shouted = choice.label.upper()
        if shouted.casefold() == choice.label.casefold():  # not so for "ı", whose upper is "I"
            assert parse_choice(shouted, choices=choices).value == choice.value


@given(st.integers(min_value=0, max_value=10**12))
def test_formatted_numbers_parse_back(n: int) -> None:
    assert parse_number(f"{n:,}").value == float(n)


def test_kinds() -> None:
    assert parse_email("a@b.co").kind is AnswerKind.EMAIL
    assert parse_yes_no("yes").kind is AnswerKind.YES_NO
    assert parse_choice("1", choices=SIZES).kind is AnswerKind.CHOICE
    assert parse_number("1").kind is AnswerKind.NUMBER


@settings(deadline=2000, max_examples=20)
@given(st.text(min_size=1, max_size=40).map(lambda chunk: (chunk * 10_000)[:10_000]))
def test_long_input_is_handled(text: str) -> None:
    for result in (parse_email(text), parse_yes_no(text), parse_number(text)):
        assert result.kind in AnswerKind
    assert parse_choice(text, choices=SIZES).status in ParseStatus


def test_long_text_keeps_its_value_but_shortens_the_summary() -> None:
    result = parse_text("word " * 1000)
    assert result.value == ("word " * 1000).strip()
    assert len(result.summary) == 200 and result.summary.endswith("…")
