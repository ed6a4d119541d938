"""Named branch conditions a flow may use in `branches: [{when: ..., goto: ...}]`.

A condition looks only at `TurnFacts`: the answer just given to the current step and
the lead's current BANT answers. The registry is fixed so that a flow file cannot run
code, and so that an unknown name is caught when the flow is loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from qualification.parsers.result import (
    AuthorityValue,
    DecisionMaker,
    MoneyValue,
    ParseResult,
    ParseStatus,
    Period,
    TimelineValue,
)
from qualification.stages import Dimension


@dataclass(frozen=True)
class TurnFacts:
    """What the conditions of one transition may look at."""

    result: ParseResult[Any] | None  # the answer to the step just left; None when skipped
    answers: Mapping[Dimension, ParseResult[Any]] = field(default_factory=dict)
    budget_minimum: float = 0.0
    default_currency: str = "USD"
    today: date = date(1970, 1, 1)
    timeline_horizon_days: int = 365


ConditionFn = Callable[[TurnFacts, str | None], bool]

_PER_YEAR = {Period.MONTH: 12, Period.QUARTER: 4, Period.YEAR: 1, Period.ONE_OFF: 1}


def _answer(facts: TurnFacts, dimension: Dimension) -> ParseResult[Any] | None:
    return facts.answers.get(dimension)


def has_answer(facts: TurnFacts, _arg: str | None) -> bool:
    """The step just left was answered with a usable value."""
    return facts.result is not None and facts.result.status is ParseStatus.OK


def is_unknown(facts: TurnFacts, _arg: str | None) -> bool:
    """The step was skipped, said "don't know", or ran out of retries."""
    return facts.result is None or facts.result.status in (ParseStatus.UNKNOWN, ParseStatus.INVALID)


def answer_is(facts: TurnFacts, arg: str | None) -> bool:
    """The step's value equals `arg` (choice value, yes/no, number or text; case-insensitive)."""
    result = facts.result
    if result is None or result.status is not ParseStatus.OK or arg is None:
        return False
    value = result.value
    if isinstance(value, bool):
        return arg.strip().casefold() in (("yes", "true") if value else ("no", "false"))
    return str(value).strip().casefold() == arg.strip().casefold()


def answer_yes(facts: TurnFacts, _arg: str | None) -> bool:
    return answer_is(facts, "yes")


def answer_no(facts: TurnFacts, _arg: str | None) -> bool:
    return answer_is(facts, "no")


def not_decision_maker(facts: TurnFacts, _arg: str | None) -> bool:
    """The person said someone else makes the decision."""
    result = _answer(facts, Dimension.AUTHORITY)
    return (
        result is not None
        and isinstance(result.value, AuthorityValue)
        and result.value.decision_maker is DecisionMaker.NO
    )


def shared_decision(facts: TurnFacts, _arg: str | None) -> bool:
    """The person decides together with others."""
    result = _answer(facts, Dimension.AUTHORITY)
    return (
        result is not None
        and isinstance(result.value, AuthorityValue)
        and result.value.decision_maker is DecisionMaker.SHARED
    )


def no_budget(facts: TurnFacts, _arg: str | None) -> bool:
    """The person said there is no budget (or a budget of zero)."""
    result = _answer(facts, Dimension.BUDGET)
    if result is None:
        return False
    if result.status is ParseStatus.NONE:
        return True
    value = result.value
    return (
        result.status is ParseStatus.OK
        and isinstance(value, MoneyValue)
        and (value.maximum if value.maximum is not None else value.minimum) == 0
    )


def budget_below_minimum(facts: TurnFacts, _arg: str | None) -> bool:
    """The stated budget, annualised, is below the rules' minimum (same currency only)."""
    result = _answer(facts, Dimension.BUDGET)
    if result is None or result.status is not ParseStatus.OK:
        return False
    value = result.value
    if not isinstance(value, MoneyValue):
        return False
    if value.currency is not None and value.currency != facts.default_currency:
        return False  # no exchange rates here: do not guess
    # A range counts by its lower end, as in scoring.
    amount = value.minimum if value.minimum is not None else value.maximum
    if amount is None:
        return False
    return amount * _PER_YEAR.get(value.period or Period.YEAR, 1) < facts.budget_minimum


def no_need(facts: TurnFacts, _arg: str | None) -> bool:
    """The person said they have no need for a solution."""
    result = _answer(facts, Dimension.NEED)
    return result is not None and result.status is ParseStatus.NONE


def timeline_beyond_horizon(facts: TurnFacts, _arg: str | None) -> bool:
    """The buying window starts after the rules' planning horizon (or there is no timeline)."""
    result = _answer(facts, Dimension.TIMELINE)
    if result is None:
        return False
    if result.status is ParseStatus.NONE:
        return True
    value = result.value
    horizon = facts.today + timedelta(days=facts.timeline_horizon_days)
    return isinstance(value, TimelineValue) and value.start > horizon


# name -> (function, whether it takes an argument: `when: {answer_is: enterprise}`)
CONDITIONS: dict[str, tuple[ConditionFn, bool]] = {
    "has_answer": (has_answer, False),
    "is_unknown": (is_unknown, False),
    "answer_is": (answer_is, True),
    "answer_yes": (answer_yes, False),
    "answer_no": (answer_no, False),
    "not_decision_maker": (not_decision_maker, False),
    "shared_decision": (shared_decision, False),
    "no_budget": (no_budget, False),
    "budget_below_minimum": (budget_below_minimum, False),
    "no_need": (no_need, False),
    "timeline_beyond_horizon": (timeline_beyond_horizon, False),
}
