"""The rules file: defaults, versions, and one validation test per kind of mistake."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qualification.errors import RulesConfigError
from qualification.parsers.result import Seniority
from qualification.rules import default_rules, load_rules, parse_rules
from qualification.ruletables import Band
from qualification.stages import Dimension, EventKind, Stage
from tests.qualification.rules_helpers import SAMPLE_RULES, sample_rules


def line_of(text: str, fragment: str) -> int:
    """1-based line of the first line containing `fragment`."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def broken(old: str, new: str, *, text: str = SAMPLE_RULES) -> tuple[str, RulesConfigError]:
    """Apply one edit to the sample and return the edited text and the error it raises."""
    assert text.count(old) == 1, old
    edited = text.replace(old, new)
    with pytest.raises(RulesConfigError) as caught:
        parse_rules(edited, file="rules.yaml")
    return edited, caught.value


def test_default_rules_load_and_are_sensible() -> None:
    rules = default_rules()
    assert rules.source == "default"
    assert re.fullmatch(r"2026\.1\+[0-9a-f]{8}", rules.version)
    assert 0 < rules.mql_threshold <= rules.sql_threshold
    assert rules.auto_approve_above is None
    assert rules.rejected_handoff_goes_to is Stage.SAL
    assert rules.default_currency == "USD"
    assert {p.id for p in rules.pain_points} >= {"manual_work", "slow_follow_up"}
    assert rules.budget_minimum > 0 and rules.timeline_horizon_days > 0
    assert rules.behaviour.rule_for(EventKind.DEMO_REQUEST) is not None
    assert rules.decay is not None and rules.decay.points < 0
    assert rules.disqualify.when_all_none == (Dimension.BUDGET, Dimension.NEED)
    assert default_rules() is rules  # loaded once


def test_sample_rules_are_read_into_typed_tables() -> None:
    rules = sample_rules()
    assert rules.version.startswith("7+")
    assert rules.source == "rules.yaml"
    assert (rules.mql_threshold, rules.sql_threshold, rules.auto_approve_above) == (40, 60, 90)
    assert rules.rejected_handoff_goes_to is Stage.NURTURE
    assert rules.pain_points[0].keywords == ("manual", "spreadsheet")
    assert rules.fit.industries[0].names == ("software", "saas")
    assert rules.fit.company_size[-1] == Band(start=200, below=None, points=15)
    assert rules.fit.seniority_points(Seniority.VP) == 8
    assert rules.fit.seniority_points(Seniority.MANAGER) == 0
    assert rules.bant.budget.rate("EUR") == 1.1 and rules.bant.budget.rate("GBP") is None
    assert rules.bant.authority.no == -3
    assert rules.budget_minimum == 12000 and rules.timeline_horizon_days == 90
    assert rules.disqualify.industries == ("competitor software",)


def test_editing_the_file_changes_the_version(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(SAMPLE_RULES, encoding="utf-8")
    first = load_rules(path)
    assert first.source == str(path)
    assert load_rules(path).version == first.version
    path.write_text(SAMPLE_RULES.replace("points: 10\n", "points: 12\n", 1), encoding="utf-8")
    second = load_rules(path)
    assert second.version != first.version
    assert second.version.startswith("7+")


def test_error_message_names_file_line_and_field() -> None:
    edited, error = broken(
        "    - {from: 50, below: 200, points: 10}", "    - {from: 50, below: 200, points: ten}"
    )
    line = line_of(edited, "points: ten")
    assert (error.file, error.line, error.field) == (
        "rules.yaml",
        line,
        "fit.company_size[1].points",
    )
    assert str(error) == (
        f"rules.yaml:{line}: fit.company_size[1].points: "
        "must be an integer between -100 and 100, got 'ten'"
    )


def test_points_out_of_range() -> None:
    edited, error = broken("  demo_request: {points: 20}", "  demo_request: {points: 150}")
    assert (error.line, error.field) == (
        line_of(edited, "demo_request"),
        "behaviour.demo_request.points",
    )
    assert "got 150" in error.message


def test_syntax_error() -> None:
    edited, error = broken("  visit: {points: 2, cap: 5}", "  visit: {points: 2, cap: 5")
    assert error.field == "(syntax)"
    assert error.line is not None and error.line >= line_of(edited, "visit:")


def test_empty_file() -> None:
    with pytest.raises(RulesConfigError) as caught:
        parse_rules("", file="rules.yaml")
    assert caught.value.field == "(document)"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RulesConfigError) as caught:
        load_rules(tmp_path / "nope.yaml")
    assert caught.value.file == str(tmp_path / "nope.yaml")
    assert "not found" in caught.value.message


def test_unknown_top_level_key_is_an_error() -> None:
    edited, error = broken("sql_threshold: 60\n", "sql_threshold: 60\nsql_treshold: 70\n")
    assert (error.line, error.field) == (line_of(edited, "sql_treshold"), "sql_treshold")
    assert "unknown field" in error.message


def test_unknown_nested_key_is_an_error() -> None:
    edited, error = broken(
        "    - {from: 10, below: 50, points: 5}", "    - {from: 10, upto: 50, points: 5}"
    )
    assert (error.line, error.field) == (line_of(edited, "upto"), "fit.company_size[0].upto")


def test_unknown_event_kind() -> None:
    edited, error = broken("  visit: {points: 2, cap: 5}", "  visits: {points: 2, cap: 5}")
    assert (error.line, error.field) == (line_of(edited, "visits"), "behaviour.visits")
    assert "visit" in error.message  # lists what is expected


def test_unknown_seniority_level() -> None:
    edited, error = broken("    vp: 8", "    vice_president: 8")
    assert (error.line, error.field) == (
        line_of(edited, "vice_president"),
        "fit.seniority.vice_president",
    )


def test_missing_required_field() -> None:
    edited, error = broken("    none: -10\n    exchange_rates", "    exchange_rates")
    assert error.field == "bant.budget.none"
    assert error.line == line_of(edited, "  budget:")
    assert error.message == "missing required field"


def test_missing_section() -> None:
    edited, error = broken("  timeline: {horizon_days: 90, within: 15, beyond: 3, none: -5}\n", "")
    assert error.field == "bant.timeline"
    assert error.line == line_of(edited, "bant:")


def test_overlapping_bands() -> None:
    edited, error = broken(
        "{from: 50, below: 200, points: 10}", "{from: 40, below: 200, points: 10}"
    )
    assert (error.line, error.field) == (line_of(edited, "from: 40"), "fit.company_size[1]")
    assert "overlaps band [0]" in error.message


def test_open_band_overlaps_a_later_one() -> None:
    edited, error = broken(
        "    - {from: 10000000, points: 15}",
        "    - {from: 10000000, points: 15}\n    - {from: 50000000, below: 60000000, points: 1}",
    )
    assert (error.line, error.field) == (line_of(edited, "from: 50000000"), "fit.revenue[2]")


def test_band_upper_limit_must_exceed_lower() -> None:
    edited, error = broken("{from: 10, below: 50, points: 5}", "{from: 10, below: 10, points: 5}")
    assert (error.line, error.field) == (line_of(edited, "below: 10,"), "fit.company_size[0].below")


def test_sql_threshold_below_mql() -> None:
    edited, error = broken("sql_threshold: 60", "sql_threshold: 30")
    assert (error.line, error.field) == (line_of(edited, "sql_threshold"), "sql_threshold")
    assert "at least mql_threshold (40)" in error.message


def test_auto_approve_below_sql_threshold() -> None:
    edited, error = broken("auto_approve_above: 90", "auto_approve_above: 50")
    assert (error.line, error.field) == (line_of(edited, "auto_approve"), "auto_approve_above")


def test_rejected_handoff_destination() -> None:
    edited, error = broken("rejected_handoff_goes_to: nurture", "rejected_handoff_goes_to: sql")
    assert (error.line, error.field) == (
        line_of(edited, "rejected_handoff"),
        "rejected_handoff_goes_to",
    )
    assert "sal, nurture" in error.message


def test_currency_must_be_iso_4217() -> None:
    edited, error = broken("default_currency: USD", "default_currency: dollars")
    assert (error.line, error.field) == (line_of(edited, "default_currency"), "default_currency")
    assert "ISO 4217" in error.message


def test_exchange_rate_currency_code() -> None:
    edited, error = broken("exchange_rates: {EUR: 1.1}", "exchange_rates: {euro: 1.1}")
    assert (error.line, error.field) == (line_of(edited, "euro"), "bant.budget.exchange_rates.euro")


def test_country_codes() -> None:
    edited, error = broken("countries: [US, GB]", "countries: [US, Britain]")
    assert (error.line, error.field) == (
        line_of(edited, "Britain"),
        "fit.geography[0].countries[1]",
    )
    assert "ISO 3166" in error.message


def test_industry_listed_twice() -> None:
    edited, error = broken("names: [education]", "names: [education, Software]")
    assert (error.line, error.field) == (
        line_of(edited, "education,"),
        "fit.industries[1].names[1]",
    )


def test_pain_point_needs_keywords() -> None:
    edited, error = broken("    keywords: [slow]\n", "")
    assert error.field == "pain_points[1].keywords"
    assert error.line == line_of(edited, "id: slow_follow_up")


def test_pain_point_keywords_not_empty() -> None:
    edited, error = broken("keywords: [slow]", "keywords: []")
    assert (error.line, error.field) == (line_of(edited, "keywords: []"), "pain_points[1].keywords")


def test_pain_point_ids_are_unique() -> None:
    edited, error = broken("id: slow_follow_up", "id: manual_work")
    assert error.field == "pain_points[1].id"
    assert (
        error.line == [i for i, ln in enumerate(edited.splitlines(), 1) if "manual_work" in ln][1]
    )


def test_version_must_be_text() -> None:
    edited, error = broken('version: "7"', "version: 1.10")
    assert (error.line, error.field) == (1, "version")
    assert 'version: "1.1"' in error.message


def test_handoff_dimension_in_both_lists() -> None:
    edited, error = broken("any_of: [budget, authority]", "any_of: [budget, need]")
    assert (error.line, error.field) == (line_of(edited, "any_of"), "handoff_requires.any_of[1]")


def test_unknown_dimension() -> None:
    edited, error = broken("when_all_none: [budget, need]", "when_all_none: [money]")
    assert (error.line, error.field) == (
        line_of(edited, "when_all_none"),
        "disqualify.when_all_none[0]",
    )


def test_decay_must_lose_points() -> None:
    edited, error = broken("  points: -5\n  cap: 15", "  points: 5\n  cap: 15")
    assert (error.line, error.field) == (
        edited.splitlines().index("  points: 5") + 1,
        "decay.points",
    )


def test_wrong_container_type() -> None:
    edited, error = broken("  demo_request: {points: 20}", "  demo_request: 20")
    assert (error.line, error.field) == (line_of(edited, "demo_request"), "behaviour.demo_request")
    assert "mapping" in error.message
