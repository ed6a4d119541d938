"""The scoring rules file: load, validate and version it.

Businesses edit a YAML rules file (the default ships as `qualification/rules/default.yaml`).
Every field is validated on load; a mistake raises `RulesConfigError` naming file, line and
field. The version is the declared `version:` plus a fingerprint of the text, so any edit
yields a new version and re-scoring can tell which rules produced each ledger entry.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from functools import cache
from importlib.resources import files
from pathlib import Path

from qualification.configreader import ConfigReader
from qualification.errors import RulesConfigError
from qualification.parsers.result import PainPoint
from qualification.rulesfit import read_behaviour, read_decay, read_fit
from qualification.ruletables import (
    AuthorityRules,
    BantRules,
    BehaviourRules,
    BudgetRules,
    DecayRules,
    DisqualifyRules,
    FitRules,
    HandoffRequirements,
    NeedRules,
    TimelineRules,
    normalise_industry,
)
from qualification.stages import Dimension, Stage
from qualification.yamlsource import KeyPath, load_yaml, parse_yaml

__all__ = ["RuleSet", "default_rules", "load_rules", "parse_rules"]

POINTS = {"lo": -100, "hi": 100}
THRESHOLD = {"lo": 1, "hi": 1000}
CURRENCY = r"[A-Z]{3}"
CURRENCY_HINT = "a three-letter ISO 4217 currency code such as 'USD'"
COUNTRY = r"[A-Z]{2}"
COUNTRY_HINT = "a two-letter ISO 3166 country code such as 'US'"


@dataclass(frozen=True)
class RuleSet:
    """A validated rules file. Tables are typed and immutable."""

    version: str  # "<declared version>+<first 8 hex of sha256 of the file text>"
    source: str  # file path or "default"
    mql_threshold: int
    sql_threshold: int
    auto_approve_above: int | None  # None: every handoff needs a manager
    rejected_handoff_goes_to: Stage  # Stage.SAL or Stage.NURTURE
    default_currency: str
    pain_points: tuple[PainPoint, ...]
    budget_minimum: float  # per year, in default_currency
    timeline_horizon_days: int
    fit: FitRules
    behaviour: BehaviourRules
    decay: DecayRules | None  # None: no inactivity decay
    bant: BantRules
    handoff_requires: HandoffRequirements
    disqualify: DisqualifyRules

    def pain_point(self, pain_point_id: str) -> PainPoint | None:
        return next((p for p in self.pain_points if p.id == pain_point_id), None)


def load_rules(path: Path) -> RuleSet:
    """Read and validate a rules file; errors name the file, line and field."""
    doc = load_yaml(path, error=RulesConfigError)
    return _build(ConfigReader(doc, error=RulesConfigError), text=path.read_text("utf-8"))


def parse_rules(text: str, *, file: str) -> RuleSet:
    """Validate rules given as text; `file` is used in error messages and as the source."""
    doc = parse_yaml(text, file=file, error=RulesConfigError)
    return _build(ConfigReader(doc, error=RulesConfigError), text=text)


@cache
def default_rules() -> RuleSet:
    """The rules shipped with Baton (`qualification/rules/default.yaml`)."""
    text = files("qualification").joinpath("rules/default.yaml").read_text(encoding="utf-8")
    return replace(parse_rules(text, file="default.yaml"), source="default")


def _build(r: ConfigReader, *, text: str) -> RuleSet:
    r.mapping(
        (),
        required=(
            "version", "default_currency", "mql_threshold", "sql_threshold", "fit", "behaviour",
            "bant",
        ),
        optional=(
            "auto_approve_above", "rejected_handoff_goes_to", "handoff_requires", "pain_points",
            "decay", "disqualify",
        ),
    )  # fmt: skip
    version = _declared_version(r)
    currency = r.text(("default_currency",), pattern=CURRENCY, hint=CURRENCY_HINT)
    mql = r.integer(("mql_threshold",), **THRESHOLD)
    sql = r.integer(("sql_threshold",), **THRESHOLD)
    if sql < mql:
        r.fail(("sql_threshold",), f"must be at least mql_threshold ({mql}), got {sql}")
    auto = r.optional_integer(("auto_approve_above",), **THRESHOLD)
    if auto is not None and auto < sql:
        r.fail(("auto_approve_above",), f"must be at least sql_threshold ({sql}), got {auto}")
    goes_to = _rejected_goes_to(r)
    pain_points = _pain_points(r)
    fit = read_fit(r, ("fit",), points=POINTS, country=(COUNTRY, COUNTRY_HINT))
    behaviour = read_behaviour(r, ("behaviour",), points=POINTS)
    decay = read_decay(r, ("decay",)) if r.get(("decay",), None) is not None else None
    bant, budget_minimum, horizon = _bant(r, currency)
    return RuleSet(
        version=f"{version}+{hashlib.sha256(text.encode()).hexdigest()[:8]}",
        source=r.doc.file,
        mql_threshold=mql,
        sql_threshold=sql,
        auto_approve_above=auto,
        rejected_handoff_goes_to=goes_to,
        default_currency=currency,
        pain_points=pain_points,
        budget_minimum=budget_minimum,
        timeline_horizon_days=horizon,
        fit=fit,
        behaviour=behaviour,
        decay=decay,
        bant=bant,
        handoff_requires=_handoff_requires(r),
        disqualify=_disqualify(r),
    )


def _declared_version(r: ConfigReader) -> str:
    path: KeyPath = ("version",)
    value = r.get(path)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        r.fail(path, f'must be text; quote it so it is kept exactly: version: "{value}"')
    hint = "letters, digits, '.', '_' or '-', at most 40 characters"
    return r.text(path, pattern=r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}", hint=hint)


def _rejected_goes_to(r: ConfigReader) -> Stage:
    path: KeyPath = ("rejected_handoff_goes_to",)
    if r.get(path, None) is None:
        return Stage.SAL
    stage = r.choice(path, Stage)
    if stage not in (Stage.SAL, Stage.NURTURE):
        r.fail(path, f"must be one of: sal, nurture; got '{stage.value}'")
    return stage


def _pain_points(r: ConfigReader) -> tuple[PainPoint, ...]:
    if r.get(("pain_points",), None) is None:
        return ()
    points: list[PainPoint] = []
    for index in range(len(r.sequence(("pain_points",)))):
        path: KeyPath = ("pain_points", index)
        r.mapping(path, required=("id", "label", "keywords"))
        pain_id = r.text(
            (*path, "id"), pattern=r"[a-z0-9][a-z0-9_-]*", hint="lowercase letters, digits, _ or -"
        )
        if any(p.id == pain_id for p in points):
            r.fail((*path, "id"), f"pain point '{pain_id}' is defined twice")
        r.sequence((*path, "keywords"), allow_empty=False)
        keywords = tuple(k.lower() for k in r.texts((*path, "keywords")))
        points.append(PainPoint(id=pain_id, label=r.text((*path, "label")), keywords=keywords))
    return tuple(points)


def _exchange_rates(r: ConfigReader, path: KeyPath, currency: str) -> tuple[tuple[str, float], ...]:
    if r.get(path, None) is None:
        return ()
    rates: list[tuple[str, float]] = []
    for code in r.mapping(path, optional=tuple(r.get(path) or ())):
        if re.fullmatch(CURRENCY, code) is None:
            r.fail((*path, code), f"must be {CURRENCY_HINT}, got {code!r}")
        if code == currency:
            r.fail((*path, code), "is the default currency, which needs no rate")
        rates.append((code, r.number((*path, code), lo=1e-9, hi=1e9)))
    return tuple(rates)


def _bant(r: ConfigReader, currency: str) -> tuple[BantRules, float, int]:
    r.mapping(("bant",), required=("budget", "authority", "need", "timeline"))
    budget: KeyPath = ("bant", "budget")
    r.mapping(
        budget,
        required=("minimum", "at_or_above", "upper_bound_only", "below", "none"),
        optional=("exchange_rates",),
    )
    minimum = r.number((*budget, "minimum"), lo=0, hi=1e12)
    authority: KeyPath = ("bant", "authority")
    r.mapping(authority, required=("yes", "shared", "no"))
    need: KeyPath = ("bant", "need")
    r.mapping(need, required=("per_pain_point", "unmatched", "none"), optional=("cap",))
    timeline: KeyPath = ("bant", "timeline")
    r.mapping(timeline, required=("horizon_days", "within", "beyond", "none"))
    horizon = r.integer((*timeline, "horizon_days"), lo=1, hi=3650)

    def pts(path: KeyPath, key: str) -> int:
        return r.integer((*path, key), **POINTS)

    rules = BantRules(
        budget=BudgetRules(
            at_or_above=pts(budget, "at_or_above"),
            upper_bound_only=pts(budget, "upper_bound_only"),
            below=pts(budget, "below"),
            none=pts(budget, "none"),
            exchange_rates=_exchange_rates(r, (*budget, "exchange_rates"), currency),
        ),
        authority=AuthorityRules(
            yes=pts(authority, "yes"), shared=pts(authority, "shared"), no=pts(authority, "no")
        ),
        need=NeedRules(
            per_pain_point=pts(need, "per_pain_point"),
            cap=r.optional_integer((*need, "cap"), lo=1, hi=1000),
            unmatched=pts(need, "unmatched"),
            none=pts(need, "none"),
        ),
        timeline=TimelineRules(
            within=pts(timeline, "within"),
            beyond=pts(timeline, "beyond"),
            none=pts(timeline, "none"),
        ),
    )
    return rules, minimum, horizon


def _handoff_requires(r: ConfigReader) -> HandoffRequirements:
    path: KeyPath = ("handoff_requires",)
    if r.get(path, None) is None:
        return HandoffRequirements()
    r.mapping(path, optional=("all_of", "any_of"))
    all_of = r.enum_list((*path, "all_of"), Dimension)
    any_of = r.enum_list((*path, "any_of"), Dimension)
    for index, dimension in enumerate(any_of):
        if dimension in all_of:
            r.fail((*path, "any_of", index), f"'{dimension.value}' is already in all_of")
    return HandoffRequirements(all_of=all_of, any_of=any_of)


def _disqualify(r: ConfigReader) -> DisqualifyRules:
    path: KeyPath = ("disqualify",)
    if r.get(path, None) is None:
        return DisqualifyRules()
    r.mapping(path, optional=("when_all_none", "industries", "countries"))
    industries = r.texts((*path, "industries"))
    return DisqualifyRules(
        when_all_none=r.enum_list((*path, "when_all_none"), Dimension),
        industries=tuple(normalise_industry(name) for name in industries),
        countries=r.texts((*path, "countries"), pattern=COUNTRY, hint=COUNTRY_HINT),
    )
