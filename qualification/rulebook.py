"""A rule set in words: every scoring rule with the id its ledger entries carry, when it fires
and how many points it gives, for people who read the rules rather than the YAML."""

from __future__ import annotations

from dataclasses import dataclass

from qualification.bant import horizon_text, money_text
from qualification.behaviourscore import EVENT_LABELS
from qualification.fitscore import SENIORITY_LABELS
from qualification.rules import RuleSet
from qualification.ruletables import Band, NameGroup


@dataclass(frozen=True)
class RuleLine:
    """One way a lead can earn or lose points."""

    rule_id: str  # as in the score ledger: "fit.industry", "behaviour.visit", "bant.budget"…
    category: str  # "fit" | "behaviour" | "decay" | "bant"
    condition: str
    points: int
    cap: int | None = None  # at most this many points in total (either sign)


@dataclass(frozen=True)
class Version:
    declared: str  # the file's `version:`
    fingerprint: str  # the first 8 hex digits of the sha256 of the file's text


def version_parts(rules: RuleSet) -> Version:
    declared, _, fingerprint = rules.version.rpartition("+")
    return Version(declared=declared or rules.version, fingerprint=fingerprint)


def _one_of(names: tuple[str, ...]) -> str:
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def _groups(rule_id: str, what: str, groups: tuple[NameGroup, ...]) -> list[RuleLine]:
    return [RuleLine(rule_id, "fit", f"{what} is {_one_of(g.names)}", g.points) for g in groups]


def _bands(rule_id: str, what: str, unit: str, bands: tuple[Band, ...]) -> list[RuleLine]:
    return [RuleLine(rule_id, "fit", f"{what} {b.describe()}{unit}", b.points) for b in bands]


def fit_lines(rules: RuleSet) -> list[RuleLine]:
    fit = rules.fit
    lines = _groups("fit.industry", "Industry", fit.industries)
    lines += _bands("fit.company_size", "Employees:", "", fit.company_size)
    lines += _bands("fit.revenue", f"Annual revenue ({rules.default_currency}):", "", fit.revenue)
    lines += _groups("fit.geography", "Country", fit.geography)
    lines += [
        RuleLine(
            "fit.seniority",
            "fit",
            f"Seniority is {SENIORITY_LABELS[level]} (as stored, or read from the job title)",
            points,
        )
        for level, points in fit.seniority
    ]
    return lines


def behaviour_lines(rules: RuleSet) -> list[RuleLine]:
    lines = [
        RuleLine(
            f"behaviour.{rule.kind.value}",
            "behaviour",
            f"Each event: {EVENT_LABELS[rule.kind]}",
            rule.points,
            rule.cap,
        )
        for rule in rules.behaviour.events
    ]
    decay = rules.decay
    if decay is not None:
        condition = (
            f"Every {decay.every_days} days without any activity, after {decay.grace_days}"
            " days of grace"
        )
        lines.append(RuleLine("decay.inactivity", "decay", condition, decay.points, decay.cap))
    return lines


def bant_lines(rules: RuleSet) -> list[RuleLine]:
    bant = rules.bant
    minimum = money_text(rules.budget_minimum, rules.default_currency)
    horizon = horizon_text(rules.timeline_horizon_days)
    budget, authority, need, timeline = (
        "bant.budget", "bant.authority", "bant.need", "bant.timeline",
    )  # fmt: skip
    return [
        RuleLine(budget, "bant", f"Budget per year at or above {minimum}", bant.budget.at_or_above),
        RuleLine(
            budget,
            "bant",
            f'Only an upper limit is given ("under …") and it reaches {minimum}',
            bant.budget.upper_bound_only,
        ),
        RuleLine(budget, "bant", f"Budget per year below {minimum}", bant.budget.below),
        RuleLine(budget, "bant", "Said there is no budget", bant.budget.none),
        RuleLine(authority, "bant", "Is the decision maker", bant.authority.yes),
        RuleLine(authority, "bant", "Decides together with others", bant.authority.shared),
        RuleLine(authority, "bant", "Is not the decision maker", bant.authority.no),
        RuleLine(
            need,
            "bant",
            "For each pain point the need matches",
            bant.need.per_pain_point,
            bant.need.cap,
        ),
        RuleLine(need, "bant", "A need that matches no pain point", bant.need.unmatched),
        RuleLine(need, "bant", "Said there is no need", bant.need.none),
        RuleLine(
            timeline,
            "bant",
            f"Buying starts within {horizon} ({rules.timeline_horizon_days} days)",
            bant.timeline.within,
        ),
        RuleLine(timeline, "bant", f"Buying starts later than {horizon}", bant.timeline.beyond),
        RuleLine(timeline, "bant", "Said there are no plans to buy", bant.timeline.none),
    ]


def rule_lines(rules: RuleSet) -> tuple[RuleLine, ...]:
    """Every rule of `rules`: fit, behaviour, decay, then BANT, each in file order."""
    return (*fit_lines(rules), *behaviour_lines(rules), *bant_lines(rules))
