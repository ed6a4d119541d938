"""The plain facts scoring reads, and the score items it produces (see `qualification.scoring`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from qualification.parsers.result import ParseResult
from qualification.stages import Dimension, EventKind

CATEGORIES = ("fit", "behaviour", "bant", "decay")


@dataclass(frozen=True)
class LeadFacts:
    """What is known about the lead and its company. `created_at` anchors decay without events."""

    industry: str | None = None
    employee_count: int | None = None
    annual_revenue: float | None = None
    country: str | None = None
    title: str = ""
    seniority: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class AnswerFacts:
    """The current answer for one BANT dimension; `ref` such as "answer:12"."""

    dimension: Dimension
    result: ParseResult[Any]
    ref: str


@dataclass(frozen=True)
class EventFacts:
    """One behaviour event; `ref` such as "event:5"."""

    kind: EventKind
    occurred_at: datetime
    ref: str
    asset: str | None = None


@dataclass(frozen=True)
class ScoreItem:
    """One ledger entry to be: which rule, how many points, caused by what, and why."""

    rule_id: str
    category: str  # "fit" | "behaviour" | "bant" | "decay"
    points: int
    cause_kind: str  # "lead" | "answer" | "event" | "decay"
    cause_ref: str | None
    note: str


@dataclass(frozen=True)
class LedgerLine:
    """An entry already in the ledger. Category and cause kind are derived when not given."""

    rule_id: str
    cause_ref: str | None
    points: int
    category: str | None = None
    cause_kind: str | None = None


def as_utc(moment: datetime) -> datetime:
    """Naive datetimes are taken to be UTC, so naive and aware values compare."""
    if moment.tzinfo is UTC:  # the usual case, and the quickest
        return moment
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def signed(points: int) -> str:
    return f"{points:+d}"
