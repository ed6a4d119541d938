from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualification.parsers import LOW_CONFIDENCE
from qualification.parsers.money import parse_money
from qualification.parsers.result import AnswerKind, MoneyValue, ParseStatus, Period

Y, M, Q, ONCE = Period.YEAR, Period.MONTH, Period.QUARTER, Period.ONE_OFF


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("about 50k a year", MoneyValue(50_000, 50_000, "USD", Y, True)),
        ("$20,000–30,000", MoneyValue(20_000, 30_000, "USD", None)),
        ("$20,000 - $30,000", MoneyValue(20_000, 30_000, "USD", None)),
        ("€15k per quarter", MoneyValue(15_000, 15_000, "EUR", Q)),
        ("under 5 grand", MoneyValue(None, 5_000, "USD", None)),
        ("1.2M", MoneyValue(1_200_000, 1_200_000, "USD", None)),
        ("around 10-15k/month", MoneyValue(10_000, 15_000, "USD", M, True)),
        ("£8,000 one-off", MoneyValue(8_000, 8_000, "GBP", ONCE)),
        ("40 thousand dollars annually", MoneyValue(40_000, 40_000, "USD", Y)),
        ("over $100k", MoneyValue(100_000, None, "USD", None)),
        ("between 5 and 10k", MoneyValue(5_000, 10_000, "USD", None)),
        ("10 to 20 thousand euros", MoneyValue(10_000, 20_000, "EUR", None)),
        ("100k-200k", MoneyValue(100_000, 200_000, "USD", None)),
        ("up to 2.5 million per year", MoneyValue(None, 2_500_000, "USD", Y)),
        ("at least 30k", MoneyValue(30_000, None, "USD", None)),
        ("50k+", MoneyValue(50_000, None, "USD", None)),
        ("USD 1,000,000", MoneyValue(1_000_000, 1_000_000, "USD", None)),
        ("usd5000 monthly", MoneyValue(5_000, 5_000, "USD", M)),
        ("roughly 3000 CHF a month", MoneyValue(3_000, 3_000, "CHF", M, True)),
        ("we set aside 75,000 for the project, one-time", MoneyValue(75_000, 75_000, "USD", ONCE)),
        ("500 - 1.5k", MoneyValue(500, 1_500, "USD", None)),
        ("~$12.5k per month", MoneyValue(12_500, 12_500, "USD", M, True)),
        ("¥2,000,000 yearly", MoneyValue(2_000_000, 2_000_000, "JPY", Y)),
        ("less than 1k a month for 12 months", MoneyValue(None, 1_000, "USD", M)),
    ],
)
def test_amounts(text: str, expected: MoneyValue) -> None:
    result = parse_money(text)
    assert result.kind is AnswerKind.MONEY
    assert result.status is ParseStatus.OK
    assert result.value == expected


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("no budget yet", ParseStatus.NONE),
        ("we have nothing set aside", ParseStatus.NONE),
        ("None", ParseStatus.NONE),
        ("we don't have a budget", ParseStatus.NONE),
        ("TBD", ParseStatus.UNKNOWN),
        ("depends", ParseStatus.UNKNOWN),
        ("not sure", ParseStatus.UNKNOWN),
        ("I don't know yet", ParseStatus.UNKNOWN),
        ("blue", ParseStatus.INVALID),
        ("", ParseStatus.INVALID),
        ("   ", ParseStatus.INVALID),
        ("a lot of money", ParseStatus.INVALID),
    ],
)
def test_no_amount(text: str, status: ParseStatus) -> None:
    result = parse_money(text)
    assert result.status is status
    assert result.value is None
    assert result.summary


def test_summary_reads_back_the_amount() -> None:
    assert parse_money("about 50k a year").summary == (
        "USD 50,000 per year (approximate, currency assumed)"
    )
    assert parse_money("€15k per quarter").summary == "EUR 15,000 per quarter"
    assert parse_money("£20,000-30,000").summary == "GBP 20,000–30,000"
    assert parse_money("under $5k").summary == "up to USD 5,000"
    assert parse_money("over $100k").summary == "at least USD 100,000"


def test_default_currency_is_used_and_lowers_confidence() -> None:
    stated = parse_money("€50k a year", default_currency="GBP")
    assumed = parse_money("50k a year", default_currency="GBP")
    assert assumed.value is not None and assumed.value.currency == "GBP"
    assert assumed.confidence < stated.confidence
    assert "assumed" in assumed.summary


def test_dollars_follow_a_dollar_default_currency() -> None:
    result = parse_money("20 thousand dollars", default_currency="CAD")
    assert result.value is not None and result.value.currency == "CAD"
    assert parse_money("20k bucks", default_currency="EUR").value == MoneyValue(
        20_000, 20_000, "USD", None
    )


def test_hedged_answer_is_less_confident() -> None:
    plain = parse_money("$20k")
    hedged = parse_money("maybe $20k, not sure")
    assert hedged.status is ParseStatus.OK
    assert hedged.confidence < plain.confidence


@given(st.integers(min_value=1, max_value=10**9))
def test_dollar_amounts_parse_exactly(n: int) -> None:
    result = parse_money(f"${n:,}")
    assert result.status is ParseStatus.OK
    assert result.value is not None
    assert result.value.minimum == result.value.maximum == n
    assert result.value.currency == "USD"


@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=1, max_value=10**6))
def test_ranges_are_ordered(a: int, b: int) -> None:
    value = parse_money(f"{a} to {b} EUR").value
    assert value is not None and value.minimum is not None and value.maximum is not None
    assert value.minimum == min(a, b) and value.maximum == max(a, b)


@settings(deadline=None)
@given(st.text())
def test_never_raises(text: str) -> None:
    result = parse_money(text)
    assert 0.0 <= result.confidence <= 1.0
    assert result.summary


@pytest.mark.parametrize("text", ["50", "maybe 50", "50 or so", "300 a month"])
def test_small_bare_amount_is_read_back(text: str) -> None:
    result = parse_money(text)
    assert result.status is ParseStatus.OK
    assert result.confidence < LOW_CONFIDENCE


@pytest.mark.parametrize("text", ["$50", "50k", "€300 a month", "5,000"])
def test_amount_with_currency_or_scale_is_not_read_back(text: str) -> None:
    assert parse_money(text).confidence >= LOW_CONFIDENCE
