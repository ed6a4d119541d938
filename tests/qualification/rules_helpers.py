"""A small, complete rules file for tests, and helpers to build scoring facts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from qualification.parsers.result import (
    AnswerKind,
    AuthorityValue,
    DecisionMaker,
    MoneyValue,
    NeedValue,
    PainPointMatch,
    ParseResult,
    ParseStatus,
    Period,
    TimelineValue,
)
from qualification.rules import RuleSet, parse_rules
from qualification.scorefacts import AnswerFacts
from qualification.stages import Dimension

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

SAMPLE_RULES = """\
version: "7"
default_currency: USD
mql_threshold: 40
sql_threshold: 60
auto_approve_above: 90
rejected_handoff_goes_to: nurture
pain_points:
  - id: manual_work
    label: Manual work
    keywords: [manual, Spreadsheet]
  - id: slow_follow_up
    label: Slow follow-up
    keywords: [slow]
fit:
  industries:
    - names: [software, SaaS]
      points: 10
    - names: [education]
      points: -5
  company_size:
    - {from: 10, below: 50, points: 5}
    - {from: 50, below: 200, points: 10}
    - {from: 200, below: null, points: 15}
  revenue:
    - {from: 1000000, below: 10000000, points: 5}
    - {from: 10000000, points: 15}
  geography:
    - countries: [US, GB]
      points: 5
  seniority:
    vp: 8
    c_level: 10
behaviour:
  visit: {points: 2, cap: 5}
  content_download: {points: 5}
  demo_request: {points: 20}
  email_open: {points: 2, cap: 4}
  email_click: {points: 5}
  unsubscribe: {points: -10}
  bounce: {points: -15, cap: 15}
decay:
  grace_days: 30
  every_days: 30
  points: -5
  cap: 15
bant:
  budget:
    minimum: 12000
    at_or_above: 15
    upper_bound_only: 5
    below: 2
    none: -10
    exchange_rates: {EUR: 1.1}
  authority: {"yes": 15, shared: 8, "no": -3}
  need: {per_pain_point: 10, cap: 15, unmatched: 1, none: -10}
  timeline: {horizon_days: 90, within: 15, beyond: 3, none: -5}
handoff_requires:
  all_of: [need]
  any_of: [budget, authority]
disqualify:
  when_all_none: [budget, need]
  industries: [Competitor Software]
  countries: [KP]
"""


def sample_rules(text: str = SAMPLE_RULES) -> RuleSet:
    return parse_rules(text, file="rules.yaml")


def result(kind: AnswerKind, value: Any, status: ParseStatus = ParseStatus.OK) -> ParseResult[Any]:
    return ParseResult(kind=kind, status=status, value=value, confidence=0.9, summary="(test)")


def answer(dimension: Dimension, value: Any, *, ref: str = "", status: ParseStatus = ParseStatus.OK
           ) -> AnswerFacts:  # fmt: skip
    kinds = {
        Dimension.BUDGET: AnswerKind.MONEY,
        Dimension.AUTHORITY: AnswerKind.ROLE,
        Dimension.NEED: AnswerKind.NEED,
        Dimension.TIMELINE: AnswerKind.TIMELINE,
    }
    return AnswerFacts(
        dimension=dimension,
        result=result(kinds[dimension], value, status),
        ref=ref or f"answer:{dimension.value}",
    )


def budget(minimum: float | None, maximum: float | None = None, *, currency: str | None = "USD",
           period: Period | None = Period.YEAR) -> AnswerFacts:  # fmt: skip
    return answer(Dimension.BUDGET, MoneyValue(minimum, maximum, currency, period))


def authority(decision_maker: DecisionMaker, **kwargs: Any) -> AnswerFacts:
    return answer(Dimension.AUTHORITY, AuthorityValue(decision_maker=decision_maker, **kwargs))


def need(*pain_points: str) -> AnswerFacts:
    matches = tuple(PainPointMatch(pain_point=p, score=0.9) for p in pain_points)
    return answer(Dimension.NEED, NeedValue(matches=matches, text="..."))


def timeline(start: date, end: date | None = None, label: str = "soon") -> AnswerFacts:
    return answer(Dimension.TIMELINE, TimelineValue(start=start, end=end or start, label=label))


def none(dimension: Dimension) -> AnswerFacts:
    return answer(dimension, None, status=ParseStatus.NONE)


def unknown(dimension: Dimension) -> AnswerFacts:
    return answer(dimension, None, status=ParseStatus.UNKNOWN)
