"""The rules in words: every rule of a rules file, under the ids the score ledger uses."""

from __future__ import annotations

import re
from datetime import timedelta

from qualification.parsers.result import DecisionMaker, Period
from qualification.rulebook import RuleLine, rule_lines, version_parts
from qualification.rules import default_rules
from qualification.scoring import EventFacts, LeadFacts, compute_score
from qualification.stages import Dimension, EventKind
from tests.qualification.rules_helpers import (
    NOW,
    SAMPLE_RULES,
    authority,
    budget,
    need,
    none,
    sample_rules,
    timeline,
)

RULES = sample_rules()


def lines_of(rule_id: str) -> list[tuple[str, int, int | None]]:
    return [(r.condition, r.points, r.cap) for r in rule_lines(RULES) if r.rule_id == rule_id]


def test_every_table_of_the_file_in_words() -> None:
    assert lines_of("fit.industry") == [
        ("Industry is software or saas", 10, None),
        ("Industry is education", -5, None),
    ]
    assert lines_of("fit.company_size") == [
        ("Employees: 10 to under 50", 5, None),
        ("Employees: 50 to under 200", 10, None),
        ("Employees: 200 or more", 15, None),
    ]
    assert lines_of("fit.revenue")[1] == ("Annual revenue (USD): 10,000,000 or more", 15, None)
    assert lines_of("fit.geography") == [("Country is US or GB", 5, None)]
    assert [(c.split(" (")[0], p) for c, p, _ in lines_of("fit.seniority")] == [
        ("Seniority is VP", 8),
        ("Seniority is C-level", 10),
    ]
    assert lines_of("behaviour.visit") == [("Each event: Visit", 2, 5)]
    assert lines_of("behaviour.bounce") == [("Each event: Email bounced", -15, 15)]
    assert lines_of("decay.inactivity") == [
        ("Every 30 days without any activity, after 30 days of grace", -5, 15)
    ]
    assert lines_of("bant.budget") == [
        ("Budget per year at or above USD 12,000", 15, None),
        ('Only an upper limit is given ("under …") and it reaches USD 12,000', 5, None),
        ("Budget per year below USD 12,000", 2, None),
        ("Said there is no budget", -10, None),
    ]
    assert [p for _, p, _ in lines_of("bant.authority")] == [15, 8, -3]
    assert lines_of("bant.need")[0] == ("For each pain point the need matches", 10, 15)
    assert lines_of("bant.timeline") == [
        ("Buying starts within 3 months (90 days)", 15, None),
        ("Buying starts later than 3 months", 3, None),
        ("Said there are no plans to buy", -5, None),
    ]
    categories = [line.category for line in rule_lines(RULES)]
    assert categories == sorted(categories, key=["fit", "behaviour", "decay", "bant"].index)


def test_no_decay_line_without_decay() -> None:
    without = re.sub(r"^decay:\n(?:  .*\n)+", "", SAMPLE_RULES, flags=re.M)
    assert "grace_days" not in without
    rules = sample_rules(without)
    assert rules.decay is None
    assert all(line.category != "decay" for line in rule_lines(rules))


def test_every_rule_the_scorer_uses_is_listed() -> None:
    lead = LeadFacts(
        industry="Software",
        employee_count=120,
        annual_revenue=20_000_000,
        country="US",
        title="VP of Sales",
        created_at=NOW - timedelta(days=400),
    )
    events = [
        EventFacts(kind=kind, occurred_at=NOW - timedelta(days=200), ref=f"event:{i}")
        for i, kind in enumerate(EventKind)
    ]
    answers = [
        budget(50_000, period=Period.YEAR),
        authority(DecisionMaker.YES),
        need("manual_work"),
        timeline(NOW.date() + timedelta(days=10)),
    ]
    items = compute_score(rules=RULES, lead=lead, answers=answers, events=events, now=NOW)
    items += compute_score(
        rules=RULES, lead=LeadFacts(), answers=[none(d) for d in Dimension], events=[], now=NOW
    )
    used = {(item.rule_id, item.category) for item in items}
    assert len({rule_id for rule_id, _ in used}) == 5 + len(EventKind) + 1 + 4
    assert used <= {(line.rule_id, line.category) for line in rule_lines(RULES)}


def test_shipped_rules_and_their_version() -> None:
    rules = default_rules()
    parts = version_parts(rules)
    assert parts.declared == "2026.1"
    assert len(parts.fingerprint) == 8 and rules.version == f"2026.1+{parts.fingerprint}"
    lines = rule_lines(rules)
    assert all(isinstance(line, RuleLine) and line.condition for line in lines)
    assert RuleLine("behaviour.demo_request", "behaviour", "Each event: Demo request", 20, 20) in (
        lines
    )
