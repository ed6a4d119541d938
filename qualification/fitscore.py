"""Fit items: how well the lead matches the ideal customer profile (see `qualification.scoring`)."""

from __future__ import annotations

from qualification.parsers.result import Seniority
from qualification.parsers.seniority import parse_seniority
from qualification.rules import RuleSet
from qualification.ruletables import Band, NameGroup, normalise_industry
from qualification.scorefacts import LeadFacts, ScoreItem, signed

SENIORITY_LABELS = {
    Seniority.C_LEVEL: "C-level",
    Seniority.VP: "VP",
    Seniority.DIRECTOR: "director",
    Seniority.MANAGER: "manager",
    Seniority.INDIVIDUAL: "individual contributor",
}


def fit_items(rules: RuleSet, lead: LeadFacts) -> list[ScoreItem]:
    """One item per fit rule that fires with non-zero points, in a fixed order."""
    found = [
        _industry(rules, lead),
        _band("fit.company_size", rules.fit.company_size, lead.employee_count, "Company size",
              " employees"),
        _band("fit.revenue", rules.fit.revenue, lead.annual_revenue,
              f"Annual revenue {rules.default_currency}", ""),
        _geography(rules, lead),
        _seniority(rules, lead),
    ]  # fmt: skip
    return [item for item in found if item is not None and item.points != 0]


def _item(rule_id: str, points: int, note: str) -> ScoreItem:
    return ScoreItem(
        rule_id=rule_id,
        category="fit",
        points=points,
        cause_kind="lead",
        cause_ref=None,
        note=f"{note} ({signed(points)})",
    )


def _group_for(groups: tuple[NameGroup, ...], name: str) -> NameGroup | None:
    return next((group for group in groups if name in group.names), None)


def _industry(rules: RuleSet, lead: LeadFacts) -> ScoreItem | None:
    if not lead.industry:
        return None
    industry = normalise_industry(lead.industry)
    group = _group_for(rules.fit.industries, industry)
    if group is None:
        return None
    verdict = "is in the ICP" if group.points > 0 else "is a poor fit"
    return _item("fit.industry", group.points, f"Industry '{industry}' {verdict}")


def _band(
    rule_id: str, bands: tuple[Band, ...], value: float | None, label: str, unit: str
) -> ScoreItem | None:
    if value is None:
        return None
    band = next((band for band in bands if band.contains(value)), None)
    if band is None:
        return None
    note = f"{label} {value:,.0f}{unit} is in the band {band.describe()}"
    return _item(rule_id, band.points, note)


def _geography(rules: RuleSet, lead: LeadFacts) -> ScoreItem | None:
    if not lead.country:
        return None
    country = lead.country.strip().upper()
    group = _group_for(rules.fit.geography, country)
    if group is None:
        return None
    verdict = "is a target market" if group.points > 0 else "is a poor-fit market"
    return _item("fit.geography", group.points, f"Country '{country}' {verdict}")


def _seniority(rules: RuleSet, lead: LeadFacts) -> ScoreItem | None:
    """The stored seniority when it is a known level, otherwise the one read from the title."""
    level = next((s for s in Seniority if s.value == lead.seniority), None)
    if level is not None:
        note = f"Seniority: {SENIORITY_LABELS[level]}"
    elif lead.title.strip():
        level = parse_seniority(lead.title)
        note = f"Title '{lead.title.strip()}' reads as {SENIORITY_LABELS[level]}" if level else ""
    if level is None:
        return None
    return _item("fit.seniority", rules.fit.seniority_points(level), note)
