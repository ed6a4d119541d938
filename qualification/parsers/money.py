"""Budget answers: an amount or range of money, its currency and how often it is spent."""

from __future__ import annotations

import re

from qualification.parsers.result import AnswerKind, MoneyValue, ParseResult, ParseStatus, Period
from qualification.parsers.text import (
    APPROXIMATE,
    Number,
    find_numbers,
    format_amount,
    invalid,
    normalise,
    result,
)

_SYMBOLS = (
    ("us$", "USD"),
    ("c$", "CAD"),
    ("a$", "AUD"),
    ("nz$", "NZD"),
    ("s$", "SGD"),
    ("$", "USD"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("¥", "JPY"),
    ("₹", "INR"),
    ("₩", "KRW"),
)
_CODES = (
    "usd|eur|gbp|cad|aud|nzd|chf|jpy|cny|inr|sek|nok|dkk|pln|brl|mxn|sgd|hkd|zar|krw"
    "|czk|huf|ils|try|aed"
)
_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"\b({_CODES})\b"), ""),  # the code itself, upper-cased
    (re.compile(r"\beuros?\b"), "EUR"),
    (re.compile(r"\b(pounds?( sterling)?|quid|sterling)\b"), "GBP"),
    (re.compile(r"\b(swiss )?francs?\b"), "CHF"),
    (re.compile(r"\byen\b"), "JPY"),
    (re.compile(r"\brupees?\b"), "INR"),
    (re.compile(r"\b(dollars?|bucks)\b"), "$"),  # the default currency when it is a dollar
)
_DOLLAR_CURRENCIES = {"USD", "CAD", "AUD", "NZD", "SGD", "HKD"}

_PERIODS: tuple[tuple[re.Pattern[str], Period], ...] = (
    (
        re.compile(
            r"(\bper (month|mo)\b|\ba month\b|\bmonthly\b|/ ?mo(nth)?\b|\bpm\b"
            r"|\beach month\b|\bevery month\b|\bmo\b)"
        ),
        Period.MONTH,
    ),
    (
        re.compile(
            r"(\bper quarter\b|\ba quarter\b|\bquarterly\b|/ ?q(tr|uarter)?\b"
            r"|\beach quarter\b|\bevery quarter\b)"
        ),
        Period.QUARTER,
    ),
    (
        re.compile(
            r"(\bper (year|annum|yr)\b|\ba (year|yr)\b|\bannual(ly)?\b|\byearly\b"
            r"|/ ?(yr|year|y)\b|\bp\.? ?a\b|\beach year\b|\bevery year\b|\barr\b)"
        ),
        Period.YEAR,
    ),
    (
        re.compile(
            r"(\bone[- ]?(off|time)\b|\bonce\b|\bup ?front\b|\blump sum\b|\bin total\b"
            r"|\bone[- ]?shot\b|\bsingle payment\b|\bflat fee\b)"
        ),
        Period.ONE_OFF,
    ),
)
_UNDER = re.compile(
    r"(\bunder|\bbelow|\bless than|\bup to|\bmax(imum)?|\bat most|\bno more than"
    r"|\bnot more than|\bwithin|\bcapped at|\bcap of|\blimit of|\bupper limit of|<|\bat the most)"
    r"[^\d]{0,12}$"
)
_OVER = re.compile(
    r"(\bover|\babove|\bmore than|\bat least|\bmin(imum)?|\bnorth of|\bupwards of"
    r"|\bin excess of|\bstarting (at|from)|\bfrom|>)[^\d]{0,12}$"
)
_RANGE_GAP = re.compile(r"^[^\d]{0,6}?\s*(-|to|and|or|through|thru)\s*[^\d\s]{0,4}\s*$")
# Numbers that count something other than money: "for 2 years", "10 reps", "20%".
_NOT_MONEY = re.compile(
    r"^\s*(%|(percent|years?|yrs?|months?|weeks?|days?|hours?|quarters?|people|users?|seats?"
    r"|reps?|employees?|licen[cs]es?|staff|persons?|heads?|members?|times|x)\b)"
)
_NONE = re.compile(
    r"(\bno budget|\bnothing set aside|\bnothing allocated|\bno money|\bno funds?|\bnot budgeted"
    r"|\bhaven'?t (got|set|allocated|budgeted)|\bdon'?t have (a |any )?(budget|money|funds)"
    r"|\bzero budget|^(none|nothing|nil|zero|zilch|nada|n/?a|no)\b|\bwe have nothing"
    r"|\bnothing yet|\bnot a penny|\bno spend|\bbudget is zero|\bwithout (a )?budget"
    r"|\bcan'?t afford|\bno allocation)"
)
_UNKNOWN = re.compile(
    r"(\btbd\b|\btbc\b|\bdepends|\bnot sure|\bunsure|\bdon'?t know|\bdunno|\bno idea"
    r"|\bhard to say|\bto be (determined|decided|confirmed)|\bnot decided|\bundecided"
    r"|\bstill (working|figuring|deciding)|\bwe'?ll see|\bunknown|\bnot yet (known|decided|set)"
    r"|\bnot (been )?(set|finali[sz]ed)|\bneeds? approval|\bcan'?t say|\bprefer not)"
)


def _currency(text: str, default: str) -> tuple[str, bool]:
    """(ISO code, True if taken from the text)."""
    for symbol, code in _SYMBOLS:
        if symbol in text:
            return code, True
    for pattern, code in _WORDS:
        found = pattern.search(text)
        if found:
            if code == "$":
                return (default if default in _DOLLAR_CURRENCIES else "USD"), True
            return (code or found.group(1).upper()), True
    return default, False


def _period(text: str) -> Period | None:
    for pattern, period in _PERIODS:
        if pattern.search(text):
            return period
    return None


def _money_numbers(text: str) -> list[Number]:
    return [n for n in find_numbers(text) if not _NOT_MONEY.match(text[n.end :])]


def _bounds(text: str, numbers: list[Number]) -> tuple[float | None, float | None]:
    """(minimum, maximum) read from the first amount or range in the text; None is open."""
    first = numbers[0]
    if len(numbers) > 1:
        second = numbers[1]
        if _RANGE_GAP.match(text[first.end : second.start]):
            low, high = first.amount, second.amount
            if first.suffix is None and second.suffix is not None:
                scaled = Number(first.value, second.suffix, first.start, first.end).amount
                if scaled <= high:  # "10-15k" means 10k to 15k
                    low = scaled
            low, high = min(low, high), max(low, high)
            return float(low), float(high)
    before = text[max(0, first.start - 25) : first.start]
    after = text[first.end : first.end + 12]
    amount = float(first.amount)
    if _UNDER.search(before):
        return None, amount
    if _OVER.search(before) or re.match(r"^\s?(\+|plus\b|or more\b|and up\b|minimum\b)", after):
        return amount, None
    return amount, amount


def _summary(value: MoneyValue, defaulted: bool) -> str:
    code = value.currency or ""
    low, high = value.minimum, value.maximum
    if low is None and high is not None:
        amount = f"up to {code} {format_amount(high)}"
    elif high is None and low is not None:
        amount = f"at least {code} {format_amount(low)}"
    elif low is not None and high is not None and low != high:
        amount = f"{code} {format_amount(low)}–{format_amount(high)}"
    else:
        amount = f"{code} {format_amount(low or 0.0)}"
    period = {
        Period.YEAR: " per year",
        Period.MONTH: " per month",
        Period.QUARTER: " per quarter",
        Period.ONE_OFF: " one-off",
        None: "",
    }[value.period]
    flags = [
        word
        for word, on in (("approximate", value.approximate), ("currency assumed", defaulted))
        if on
    ]
    return amount + period + (f" ({', '.join(flags)})" if flags else "")


def parse_money(text: str, *, default_currency: str = "USD") -> ParseResult[MoneyValue]:
    """A budget such as "about 50k a year", "$20,000-30,000" or "under 5 grand"."""
    kind = AnswerKind.MONEY
    lowered = normalise(text)
    if not lowered:
        return invalid(kind, "no budget given; an amount such as '50k a year' works")
    lowered = re.sub(rf"\b({_CODES})(?=\d)", r"\1 ", lowered)  # "usd5000" -> "usd 5000"
    numbers = _money_numbers(lowered)
    if not numbers:
        if _UNKNOWN.search(lowered):
            return result(kind, ParseStatus.UNKNOWN, None, 0.9, "budget not known yet")
        if _NONE.search(lowered):
            return result(kind, ParseStatus.NONE, None, 0.9, "no budget")
        return invalid(kind, "I could not find an amount; something like '50k a year' works")
    default = (default_currency or "USD").upper()
    currency, stated = _currency(lowered, default)
    minimum, maximum = _bounds(lowered, numbers)
    approximate = APPROXIMATE.search(lowered) is not None
    value = MoneyValue(minimum, maximum, currency, _period(lowered), approximate)
    confidence = 0.95
    notes: list[str] = []
    if not stated:
        confidence -= 0.2
        notes.append(f"no currency given; assumed {currency}")
    if approximate:
        confidence -= 0.05
    if not stated and numbers[0].suffix is None and max(minimum or 0, maximum or 0) < 1_000:
        confidence -= 0.3  # a bare "50" may be dollars or thousands: read it back
        notes.append("small amount without a currency or multiplier; may mean thousands")
    if _UNKNOWN.search(lowered):
        confidence -= 0.15
    used = 2 if minimum is not None and maximum is not None and minimum != maximum else 1
    if len(numbers) > used:
        confidence -= 0.25
        notes.append("several amounts given; used the first")
    return result(
        kind, ParseStatus.OK, value, confidence, _summary(value, not stated), tuple(notes)
    )
