"""Answer parsers: turn what a person typed into a typed, confidence-rated value.

`parse_answer` picks the parser for a flow step's answer kind. Results whose confidence is
below `LOW_CONFIDENCE` are read back to the person for confirmation before they are stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from qualification.parsers.authority import parse_authority
from qualification.parsers.basic import (
    parse_choice,
    parse_email,
    parse_number,
    parse_text,
    parse_yes_no,
)
from qualification.parsers.money import parse_money
from qualification.parsers.need import parse_need
from qualification.parsers.result import AnswerKind, Choice, PainPoint, ParseResult
from qualification.parsers.timeline import parse_timeline

LOW_CONFIDENCE: float = 0.6

__all__ = ["LOW_CONFIDENCE", "ParseContext", "parse_answer"]


@dataclass(frozen=True)
class ParseContext:
    """What a parser may need besides the text: the date, currency, pain points and options."""

    today: date
    default_currency: str = "USD"
    pain_points: tuple[PainPoint, ...] = ()
    choices: tuple[Choice, ...] = ()


def parse_answer(kind: AnswerKind, text: str, *, context: ParseContext) -> ParseResult[Any]:
    """Parse `text` as an answer of `kind`; never raises on any text."""
    if kind is AnswerKind.MONEY:
        return parse_money(text, default_currency=context.default_currency)
    if kind is AnswerKind.TIMELINE:
        return parse_timeline(text, today=context.today)
    if kind is AnswerKind.ROLE:
        return parse_authority(text)
    if kind is AnswerKind.NEED:
        return parse_need(text, pain_points=context.pain_points)
    if kind is AnswerKind.CHOICE:
        return parse_choice(text, choices=context.choices)
    if kind is AnswerKind.YES_NO:
        return parse_yes_no(text)
    if kind is AnswerKind.EMAIL:
        return parse_email(text)
    if kind is AnswerKind.NUMBER:
        return parse_number(text)
    return parse_text(text)
