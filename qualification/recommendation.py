"""What to do with a lead when a qualification chat ends: hand off, nurture or disqualify.

Disqualify when the rules' `disqualify` section says so (excluded industry or country, or an
explicit "none" for every dimension in `when_all_none`). Hand off when the score reaches the
SQL threshold and BANT meets `handoff_requires`. Nurture otherwise. Reasons are short
sentences a person can read in the audit log and in Slack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from qualification.bant import Assessment, assess
from qualification.rules import RuleSet
from qualification.ruletables import normalise_industry
from qualification.scorefacts import AnswerFacts, LeadFacts, as_utc
from qualification.scoring import current_by_dimension
from qualification.stages import Action, Dimension

NONE_WORDS = {
    Dimension.BUDGET: "no budget",
    Dimension.AUTHORITY: "no decision maker",
    Dimension.NEED: "no need",
    Dimension.TIMELINE: "no plans to buy",
}


@dataclass(frozen=True)
class Recommendation:
    action: Action
    reasons: tuple[str, ...]
    score: int


def recommend(
    *,
    rules: RuleSet,
    score: int,
    answers: Sequence[AnswerFacts],
    lead: LeadFacts | None = None,
    now: datetime | None = None,
) -> Recommendation:
    """Recommend an action from the score and current answers (and the lead, when given).

    `now` dates the timeline check; it defaults to the current time.
    """
    today = as_utc(now or datetime.now(UTC)).date()
    current = current_by_dimension(answers)
    verdicts = {
        dimension: assess(
            rules=rules,
            dimension=dimension,
            result=current[dimension].result if dimension in current else None,
            today=today,
        )
        for dimension in Dimension
    }
    excluded = _disqualifying(rules, lead, verdicts)
    if excluded:
        return Recommendation(action=Action.DISQUALIFY, reasons=tuple(excluded), score=score)

    missing = _missing(rules, verdicts)
    if score >= rules.sql_threshold and not missing:
        relation = "is above" if score > rules.sql_threshold else "meets"
        reasons = [f"Score {score} {relation} the SQL threshold {rules.sql_threshold}"]
        reasons += [v.reason for v in verdicts.values() if v.positive]
        return Recommendation(action=Action.HANDOFF, reasons=tuple(reasons), score=score)

    reasons = []
    if score < rules.sql_threshold:
        reasons.append(f"Score {score} is below the SQL threshold {rules.sql_threshold}")
    reasons += [v.reason for v in verdicts.values() if v.dimension in missing or _negative(v)]
    return Recommendation(action=Action.NURTURE, reasons=tuple(reasons), score=score)


def _negative(verdict: Assessment) -> bool:
    """Answered, and not in the lead's favour (unknowns are not negative)."""
    return not verdict.positive and (verdict.explicit_none or bool(verdict.note))


def _missing(rules: RuleSet, verdicts: dict[Dimension, Assessment]) -> set[Dimension]:
    """Required dimensions that are not positive (all of `any_of` when none of them is)."""
    required = rules.handoff_requires
    missing = {d for d in required.all_of if not verdicts[d].positive}
    if required.any_of and not any(verdicts[d].positive for d in required.any_of):
        missing.update(required.any_of)
    return missing


def _disqualifying(
    rules: RuleSet, lead: LeadFacts | None, verdicts: dict[Dimension, Assessment]
) -> list[str]:
    table = rules.disqualify
    reasons: list[str] = []
    if lead is not None and lead.industry:
        industry = normalise_industry(lead.industry)
        if industry in table.industries:
            reasons.append(f"Industry '{industry}' is excluded")
    if lead is not None and lead.country:
        country = lead.country.strip().upper()
        if country in table.countries:
            reasons.append(f"Country '{country}' is excluded")
    dims = table.when_all_none
    if dims and all(verdicts[d].explicit_none for d in dims):
        words = [NONE_WORDS[d] for d in dims]
        listed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
        reasons.append(f"Said there is {listed}")
    return reasons
