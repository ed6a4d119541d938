"""Typed parse results shared by every answer parser.

A parser never raises on user text and never invents a value: it returns a
`ParseResult` whose status says whether a value was understood, whether the person
said they do not know (`unknown`) or said there is none (`none`), or whether the text
could not be understood (`invalid`, which makes the bot reprompt).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


class AnswerKind(StrEnum):
    """What kind of answer a flow step expects."""

    MONEY = "money"
    TIMELINE = "timeline"
    ROLE = "role"
    NEED = "need"
    CHOICE = "choice"
    YES_NO = "yes_no"
    EMAIL = "email"
    NUMBER = "number"
    TEXT = "text"


class ParseStatus(StrEnum):
    OK = "ok"
    UNKNOWN = "unknown"
    NONE = "none"
    INVALID = "invalid"


class Period(StrEnum):
    ONE_OFF = "one_off"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class Seniority(StrEnum):
    C_LEVEL = "c_level"
    VP = "vp"
    DIRECTOR = "director"
    MANAGER = "manager"
    INDIVIDUAL = "individual"


class DecisionMaker(StrEnum):
    YES = "yes"
    NO = "no"
    SHARED = "shared"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class MoneyValue:
    """An amount or range of money. `minimum`/`maximum` are None when open-ended."""

    minimum: float | None
    maximum: float | None
    currency: str | None
    period: Period | None
    approximate: bool = False


@dataclass(frozen=True)
class TimelineValue:
    """A date window relative to the day of the conversation."""

    start: date
    end: date
    label: str


@dataclass(frozen=True)
class AuthorityValue:
    decision_maker: DecisionMaker
    role: str | None = None
    seniority: Seniority | None = None
    others: tuple[str, ...] = ()


@dataclass(frozen=True)
class PainPointMatch:
    pain_point: str
    score: float


@dataclass(frozen=True)
class NeedValue:
    matches: tuple[PainPointMatch, ...]
    text: str


@dataclass(frozen=True)
class Choice:
    """A quick-reply option: `value` is stored, `label` is shown."""

    value: str
    label: str
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class PainPoint:
    """A pain point the business cares about, with the words that signal it."""

    id: str
    label: str
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParseResult(Generic[T]):
    """What a parser understood from one answer."""

    kind: AnswerKind
    status: ParseStatus
    value: T | None
    confidence: float
    summary: str
    notes: tuple[str, ...] = field(default=())

    @property
    def understood(self) -> bool:
        return self.status is not ParseStatus.INVALID
