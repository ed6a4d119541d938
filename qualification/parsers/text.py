"""Text clean-up and number reading shared by the answer parsers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from qualification.parsers.result import AnswerKind, ParseResult, ParseStatus, T

LARGEST = Decimal(10) ** 15
MAX_CHARS = 2000  # answers are short; only this much is read for meaning, so parsing stays fast

_DASHES = re.compile(r"[\u2010-\u2015\u2212]")
_QUOTES = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}
_SPACES = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

MULTIPLIERS: dict[str, int] = {
    "k": 1_000,
    "thousand": 1_000,
    "grand": 1_000,
    "m": 1_000_000,
    "mm": 1_000_000,
    "mil": 1_000_000,
    "mio": 1_000_000,
    "million": 1_000_000,
    "b": 1_000_000_000,
    "bn": 1_000_000_000,
    "billion": 1_000_000_000,
}
# One number with an optional multiplier: "1,200", "2.5k", "40 thousand", ".5m".
NUMBER = re.compile(
    r"(?<![\w.,])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)(?![\d,]\d)"
    r"(?:\s?(?P<suffix>k|thousand|grand|mm|m|mil|mio|million|bn|b|billion)(?![a-z]))?"
)
APPROXIMATE = re.compile(
    r"(\babout\b|\baround\b|\broughly\b|\bapprox(imately)?\b|~|\bcirca\b|\bish\b|-ish\b"
    r"|\bgive or take\b|\bballpark\b|\bsomething like\b|\bin the region of\b|\bor so\b"
    r"|\bmaybe\b|\bprobably\b|\bestimated?\b|\bapproximate\b|\bclose to\b|\bnearly\b"
    r"|\balmost\b)"
)


def clean(text: str) -> str:
    """Trim, drop control characters and unify dashes, quotes and whitespace."""
    text = _CONTROL.sub(" ", str(text))
    text = _DASHES.sub("-", text)
    for fancy, plain in _QUOTES.items():
        text = text.replace(fancy, plain)
    return _SPACES.sub(" ", text).strip()


def normalise(text: str) -> str:
    """The first MAX_CHARS characters, cleaned and lower-cased: what phrase tables match."""
    return clean(str(text)[:MAX_CHARS]).lower()


@dataclass(frozen=True)
class Number:
    """A number found in text, with where it was and whether it had a multiplier."""

    value: Decimal
    suffix: str | None
    start: int
    end: int

    @property
    def amount(self) -> Decimal:
        return self.value * MULTIPLIERS[self.suffix] if self.suffix else self.value


def find_numbers(text: str) -> list[Number]:
    """Every number in lower-case `text`, in order."""
    found: list[Number] = []
    for match in NUMBER.finditer(text):
        try:
            value = Decimal(match["num"].replace(",", ""))
        except InvalidOperation:  # pragma: no cover - the pattern only admits digits
            continue
        number = Number(value, match["suffix"], match.start(), match.end())
        if number.amount <= LARGEST:  # beyond this it is not a quantity anyone means
            found.append(number)
    return found


def format_amount(value: float) -> str:
    """50000 -> "50,000"; 2.5 -> "2.5"; 1234.567 -> "1,234.57"."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def result(
    kind: AnswerKind,
    status: ParseStatus,
    value: T | None,
    confidence: float,
    summary: str,
    notes: tuple[str, ...] = (),
) -> ParseResult[T]:
    """A ParseResult with the confidence kept inside 0..1 and rounded for stable output."""
    bounded = round(min(1.0, max(0.0, confidence)), 2)
    return ParseResult(kind, status, value, bounded, summary, notes)


def invalid(kind: AnswerKind, summary: str) -> ParseResult[T]:
    """The answer could not be understood; the summary says what was expected."""
    return ParseResult(kind, ParseStatus.INVALID, None, 0.0, summary)
