"""How one BANT answer measures up against the rules: points, a note, and whether it is positive.

Scoring turns an assessment into a ledger item; recommendations use `positive`, `explicit_none`
and `reason`. Budgets are compared per year in the default currency: monthly amounts count x12,
quarterly x4, one-off and yearly as they are. A range counts by its lower end; an amount given
only as an upper limit ("under 50k") counts by that limit but earns the smaller
`upper_bound_only` points and is not positive, because the budget may well be lower.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from qualification.parsers.result import (
    AuthorityValue,
    DecisionMaker,
    MoneyValue,
    NeedValue,
    ParseResult,
    ParseStatus,
    Period,
    TimelineValue,
)
from qualification.rules import RuleSet
from qualification.stages import Dimension

PER_YEAR = {Period.ONE_OFF: 1, Period.MONTH: 12, Period.QUARTER: 4, Period.YEAR: 1}

UNKNOWN_REASONS = {
    Dimension.BUDGET: "Budget not known yet",
    Dimension.AUTHORITY: "Decision maker not known yet",
    Dimension.NEED: "Need not known yet",
    Dimension.TIMELINE: "Timeline not known yet",
}


@dataclass(frozen=True)
class Assessment:
    """The verdict on one dimension's answer. `points` is 0 and `note` empty when unknown."""

    dimension: Dimension
    points: int = 0
    positive: bool = False
    explicit_none: bool = False
    note: str = ""
    reason: str = ""


def horizon_text(days: int) -> str:
    """180 -> "6 months", 365 -> "1 year", 14 -> "14 days"."""
    if days % 365 == 0:
        years = days // 365
        return f"{years} year{'s' if years > 1 else ''}"
    if days >= 28:
        months = round(days / 30.44)
        return f"{months} month{'s' if months > 1 else ''}"
    return f"{days} day{'s' if days > 1 else ''}"


def money_text(amount: float, currency: str) -> str:
    return f"{currency} {amount:,.0f}"


def assess(
    *, rules: RuleSet, dimension: Dimension, result: ParseResult[Any] | None, today: date
) -> Assessment:
    """Assess the current answer for `dimension` (None: not answered)."""
    unknown = Assessment(dimension=dimension, reason=UNKNOWN_REASONS[dimension])
    if result is None or result.status in (ParseStatus.UNKNOWN, ParseStatus.INVALID):
        return unknown
    value = result.value
    if result.status is ParseStatus.NONE or value is False:
        return _none(rules, dimension)
    if dimension is Dimension.BUDGET and isinstance(value, MoneyValue):
        return _budget(rules, value) or unknown
    if dimension is Dimension.AUTHORITY and isinstance(value, AuthorityValue | bool):
        return _authority(rules, value) or unknown
    if dimension is Dimension.NEED:
        return _need(rules, value if isinstance(value, NeedValue) else None)
    if dimension is Dimension.TIMELINE and isinstance(value, TimelineValue):
        return _timeline(rules, value, today)
    return unknown


def _none(rules: RuleSet, dimension: Dimension) -> Assessment:
    bant = rules.bant
    points, note, reason = {
        Dimension.BUDGET: (bant.budget.none, "Said there is no budget", "No budget yet"),
        Dimension.AUTHORITY: (
            bant.authority.no,
            "Is not the decision maker",
            "Not the decision maker",
        ),
        Dimension.NEED: (bant.need.none, "Said there is no need", "No need for a solution"),
        Dimension.TIMELINE: (
            bant.timeline.none,
            "Said there are no plans to buy",
            "No plans to buy yet",
        ),
    }[dimension]
    return Assessment(
        dimension=dimension, points=points, explicit_none=True, note=note, reason=reason
    )


def _budget(rules: RuleSet, value: MoneyValue) -> Assessment | None:
    home = rules.default_currency
    currency = value.currency or home
    rate = 1.0 if currency == home else rules.bant.budget.rate(currency)
    if rate is None:
        reason = f"Budget in {currency} cannot be compared (no exchange rate configured)"
        return Assessment(dimension=Dimension.BUDGET, reason=reason)
    upper_only = value.minimum is None
    amount = value.maximum if upper_only else value.minimum
    if amount is None:
        return None
    if amount == 0 and (value.maximum is None or value.maximum == 0):
        return _none(rules, Dimension.BUDGET)
    yearly = amount * PER_YEAR[value.period or Period.YEAR] * rate
    stated = money_text(yearly, home) + " a year"
    if currency != home:
        stated += f" (converted from {currency})"
    minimum = money_text(rules.budget_minimum, home)
    table = rules.bant.budget
    if yearly < rules.budget_minimum:
        note = f"Budget {'under ' if upper_only else ''}{stated} is below the minimum {minimum}"
        reason = f"Budget is below the minimum of {minimum} a year"
        return Assessment(dimension=Dimension.BUDGET, points=table.below, note=note, reason=reason)
    if upper_only:
        note = f"Budget under {stated}: only an upper limit, which reaches the minimum {minimum}"
        reason = f"Budget is only known as an upper limit (under {stated})"
        return Assessment(
            dimension=Dimension.BUDGET, points=table.upper_bound_only, note=note, reason=reason
        )
    note = f"Budget {'from ' if value.maximum not in (None, amount) else ''}{stated}"
    note += f" is at or above the minimum {minimum}"
    return Assessment(
        dimension=Dimension.BUDGET, points=table.at_or_above, positive=True, note=note, reason=note
    )


def _authority(rules: RuleSet, value: AuthorityValue | bool) -> Assessment | None:
    if isinstance(value, bool):
        value = AuthorityValue(decision_maker=DecisionMaker.YES if value else DecisionMaker.NO)
    who = f"{value.role}: " if value.role else ""
    others = ", ".join(value.others)
    table = rules.bant.authority
    if value.decision_maker is DecisionMaker.YES:
        note = f"{who}is the decision maker"
        points, positive, reason = table.yes, True, "Is the decision maker"
    elif value.decision_maker is DecisionMaker.SHARED:
        note = f"{who}shares the purchase decision{' with ' + others if others else ''}"
        points, positive, reason = table.shared, True, "Shares the purchase decision"
    elif value.decision_maker is DecisionMaker.NO:
        note = f"{who}is not the decision maker{' (' + others + ' decides)' if others else ''}"
        points, positive, reason = table.no, False, "Not the decision maker"
    else:
        return None
    return Assessment(
        dimension=Dimension.AUTHORITY,
        points=points,
        positive=positive,
        note=note[:1].upper() + note[1:],
        reason=reason,
    )


def _need(rules: RuleSet, value: NeedValue | None) -> Assessment:
    table = rules.bant.need
    labels: list[str] = []
    for match in value.matches if value is not None else ():
        pain_point = rules.pain_point(match.pain_point)
        if pain_point is not None and pain_point.label not in labels:
            labels.append(pain_point.label)
    if not labels:
        note = "Need matches none of the configured pain points"
        return Assessment(
            dimension=Dimension.NEED,
            points=table.unmatched,
            note=note,
            reason="Need does not match a known pain point yet",
        )
    points = table.per_pain_point * len(labels)
    capped = table.cap is not None and abs(points) > table.cap
    if table.cap is not None and capped:
        points = table.cap if points > 0 else -table.cap
    quoted = ", ".join(f"'{label}'" for label in labels)
    note = f"Need matches {quoted}" + (f" (capped at {table.cap})" if capped else "")
    return Assessment(
        dimension=Dimension.NEED,
        points=points,
        positive=True,
        note=note,
        reason=f"Need matches {quoted}",
    )


def _timeline(rules: RuleSet, value: TimelineValue, today: date) -> Assessment:
    horizon = horizon_text(rules.timeline_horizon_days)
    starts = f"Timeline '{value.label}' starts {value.start.isoformat()}"
    if value.start <= today + timedelta(days=rules.timeline_horizon_days):
        return Assessment(
            dimension=Dimension.TIMELINE,
            points=rules.bant.timeline.within,
            positive=True,
            note=f"{starts}, within {horizon}",
            reason=f"Timeline is within {horizon}",
        )
    return Assessment(
        dimension=Dimension.TIMELINE,
        points=rules.bant.timeline.beyond,
        note=f"{starts}, beyond {horizon}",
        reason=f"Timeline is beyond {horizon}",
    )
