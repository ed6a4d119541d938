"""The typed tables of a scoring rules file: fit, behaviour, decay, BANT, handoff, disqualify."""

from __future__ import annotations

from dataclasses import dataclass

from qualification.parsers.result import Seniority
from qualification.stages import Dimension, EventKind


def normalise_industry(name: str) -> str:
    """Industries match ignoring case and extra spaces."""
    return " ".join(name.lower().split())


@dataclass(frozen=True)
class Band:
    """A numeric band: `start` inclusive, `below` exclusive (None: no upper limit)."""

    start: float
    below: float | None
    points: int

    def contains(self, value: float) -> bool:
        return value >= self.start and (self.below is None or value < self.below)

    def describe(self) -> str:
        if self.below is None:
            return f"{self.start:,.0f} or more"
        return f"{self.start:,.0f} to under {self.below:,.0f}"


@dataclass(frozen=True)
class NameGroup:
    """Names (industries or country codes, normalised) that score the same points."""

    names: tuple[str, ...]
    points: int


@dataclass(frozen=True)
class FitRules:
    industries: tuple[NameGroup, ...] = ()
    company_size: tuple[Band, ...] = ()
    revenue: tuple[Band, ...] = ()
    geography: tuple[NameGroup, ...] = ()
    seniority: tuple[tuple[Seniority, int], ...] = ()

    def seniority_points(self, level: Seniority) -> int:
        return dict(self.seniority).get(level, 0)


@dataclass(frozen=True)
class EventRule:
    """Points per event of one kind; `cap` bounds the kind's total in absolute value."""

    kind: EventKind
    points: int
    cap: int | None = None


@dataclass(frozen=True)
class BehaviourRules:
    events: tuple[EventRule, ...] = ()

    def rule_for(self, kind: EventKind) -> EventRule | None:
        return next((rule for rule in self.events if rule.kind is kind), None)


@dataclass(frozen=True)
class DecayRules:
    """Lose `points` (negative) per full `every_days` of inactivity after `grace_days`."""

    grace_days: int
    every_days: int
    points: int
    cap: int | None = None


@dataclass(frozen=True)
class BudgetRules:
    at_or_above: int
    upper_bound_only: int
    below: int
    none: int
    exchange_rates: tuple[tuple[str, float], ...] = ()

    def rate(self, currency: str) -> float | None:
        return dict(self.exchange_rates).get(currency)


@dataclass(frozen=True)
class AuthorityRules:
    yes: int
    shared: int
    no: int


@dataclass(frozen=True)
class NeedRules:
    per_pain_point: int
    cap: int | None
    unmatched: int
    none: int


@dataclass(frozen=True)
class TimelineRules:
    within: int
    beyond: int
    none: int


@dataclass(frozen=True)
class BantRules:
    budget: BudgetRules
    authority: AuthorityRules
    need: NeedRules
    timeline: TimelineRules


@dataclass(frozen=True)
class HandoffRequirements:
    """Dimensions that must all be positive, and of which at least one must be."""

    all_of: tuple[Dimension, ...] = ()
    any_of: tuple[Dimension, ...] = ()


@dataclass(frozen=True)
class DisqualifyRules:
    when_all_none: tuple[Dimension, ...] = ()
    industries: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
