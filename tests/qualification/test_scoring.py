"""compute_score: each rule kind fires with the right points and notes; caps and decay."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualification.parsers.result import DecisionMaker, Period
from qualification.scoring import (
    AnswerFacts,
    EventFacts,
    LeadFacts,
    LedgerLine,
    ScoreItem,
    compute_score,
    reconcile,
)
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
    unknown,
)

RULES = sample_rules()


def score(
    *,
    lead: LeadFacts | None = None,
    answers: Sequence[AnswerFacts] = (),
    events: Sequence[EventFacts] = (),
    now: datetime = NOW,
) -> list[ScoreItem]:
    return compute_score(
        rules=RULES, lead=lead or LeadFacts(), answers=answers, events=events, now=now
    )


def by_rule(items: list[ScoreItem]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for item in items:
        found.setdefault(item.rule_id, []).append(item.points)
    return found


def event(kind: EventKind, days_ago: float, ref: str, asset: str | None = None) -> EventFacts:
    return EventFacts(kind=kind, occurred_at=NOW - timedelta(days=days_ago), ref=ref, asset=asset)


# --- fit -----------------------------------------------------------------------------------


def test_fit_rules_fire_with_notes() -> None:
    lead = LeadFacts(
        industry=" SaaS ",
        employee_count=120,
        annual_revenue=12_000_000,
        country="us",
        seniority="vp",
    )
    items = score(lead=lead)
    assert [(i.rule_id, i.points) for i in items] == [
        ("fit.industry", 10),
        ("fit.company_size", 10),
        ("fit.revenue", 15),
        ("fit.geography", 5),
        ("fit.seniority", 8),
    ]
    assert all(i.category == "fit" and i.cause_kind == "lead" for i in items)
    assert all(i.cause_ref is None for i in items)
    notes = [i.note for i in items]
    assert notes[0] == "Industry 'saas' is in the ICP (+10)"
    assert notes[1] == "Company size 120 employees is in the band 50 to under 200 (+10)"
    assert notes[2] == "Annual revenue USD 12,000,000 is in the band 10,000,000 or more (+15)"
    assert notes[3] == "Country 'US' is a target market (+5)"
    assert notes[4] == "Seniority: VP (+8)"


def test_band_edges_are_from_inclusive_below_exclusive() -> None:
    assert by_rule(score(lead=LeadFacts(employee_count=50)))["fit.company_size"] == [10]
    assert by_rule(score(lead=LeadFacts(employee_count=49)))["fit.company_size"] == [5]
    assert "fit.company_size" not in by_rule(score(lead=LeadFacts(employee_count=9)))


def test_negative_industry_and_unknown_facts() -> None:
    items = score(lead=LeadFacts(industry="Education"))
    assert [(i.rule_id, i.points, i.note) for i in items] == [
        ("fit.industry", -5, "Industry 'education' is a poor fit (-5)")
    ]
    assert score(lead=LeadFacts(industry="mining", country="FR", seniority="manager")) == []


def test_seniority_is_read_from_the_title_when_not_stored() -> None:
    items = score(lead=LeadFacts(title="VP of Sales"))
    assert [(i.rule_id, i.points) for i in items] == [("fit.seniority", 8)]
    assert items[0].note == "Title 'VP of Sales' reads as VP (+8)"


# --- behaviour ---------------------------------------------------------------------------


def test_one_item_per_event_with_its_ref() -> None:
    events = [
        event(EventKind.DEMO_REQUEST, 1, "event:3"),
        event(EventKind.CONTENT_DOWNLOAD, 2, "event:2", asset="pricing-guide"),
        event(EventKind.EMAIL_CLICK, 3, "event:1"),
    ]
    items = score(events=events)
    assert [(i.rule_id, i.cause_ref, i.points) for i in items] == [
        ("behaviour.email_click", "event:1", 5),
        ("behaviour.content_download", "event:2", 5),
        ("behaviour.demo_request", "event:3", 20),
    ]
    assert all(i.category == "behaviour" and i.cause_kind == "event" for i in items)
    assert items[1].note == "Content download 'pricing-guide' on 2026-11-18 (+5)"


def test_cap_counts_the_earliest_events_first() -> None:
    # Given out of order: the two earliest earn 2 each, the third the remaining 1, then nothing.
    events = [event(EventKind.VISIT, days, f"event:{days}") for days in (1, 4, 2, 3)]
    items = score(events=events)
    assert [(i.cause_ref, i.points) for i in items] == [
        ("event:4", 2),
        ("event:3", 2),
        ("event:2", 1),
    ]
    assert items[0].note == "Visit on 2026-11-16 (+2)"
    assert items[2].note == "Visit on 2026-11-18 (+1, cap of 5 reached)"
    assert score(events=list(reversed(events))) == items  # same events, same items


def test_negative_signals_and_their_cap() -> None:
    events = [
        event(EventKind.UNSUBSCRIBE, 5, "event:1"),
        event(EventKind.BOUNCE, 4, "event:2"),
        event(EventKind.BOUNCE, 3, "event:3"),
    ]
    items = score(events=events)
    assert [(i.rule_id, i.points) for i in items] == [
        ("behaviour.unsubscribe", -10),
        ("behaviour.bounce", -15),
    ]
    assert items[0].note == "Unsubscribed on 2026-11-15 (-10)"


# --- decay -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("idle_days", "points"),
    [(10, None), (59, None), (60, -5), (89, -5), (90, -10), (120, -15), (400, -15)],
)
def test_decay_after_grace_per_full_period_capped(idle_days: int, points: int | None) -> None:
    events = [event(EventKind.CONTENT_DOWNLOAD, idle_days + 30, "event:1"),
              event(EventKind.CONTENT_DOWNLOAD, idle_days, "event:2")]  # fmt: skip
    decay = [i for i in score(events=events) if i.category == "decay"]
    if points is None:
        assert decay == []
        return
    assert [(i.rule_id, i.points, i.cause_kind, i.cause_ref) for i in decay] == [
        ("decay.inactivity", points, "decay", None)
    ]
    assert f"No activity for {idle_days} days since the latest activity" in decay[0].note


def test_decay_note() -> None:
    items = score(events=[event(EventKind.VISIT, 95, "event:1")])
    assert items[-1].note == (
        "No activity for 95 days since the latest activity on 2026-08-17: "
        "2 x 30 days after a 30-day grace (-10)"
    )
    capped = score(events=[event(EventKind.VISIT, 300, "event:1")])
    assert capped[-1].note.endswith("(-15, capped at 15)")


def test_decay_without_events_counts_from_creation() -> None:
    lead = LeadFacts(created_at=NOW - timedelta(days=61))
    assert [(i.rule_id, i.points) for i in score(lead=lead)] == [("decay.inactivity", -5)]
    assert "since the lead was created" in score(lead=lead)[0].note
    assert score() == []  # no events, no creation date: nothing to measure from


def test_naive_datetimes_are_utc() -> None:
    naive = EventFacts(
        kind=EventKind.VISIT, occurred_at=datetime(2026, 8, 17, 12, 0), ref="event:1"
    )
    items = score(events=[naive])
    assert by_rule(items)["decay.inactivity"] == [-10]


# --- BANT ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "points"),
    [
        (budget(15_000), 15),
        (budget(1_000, period=Period.MONTH), 15),  # 12,000 a year: exactly the minimum
        (budget(2_500, period=Period.QUARTER), 2),  # 10,000 a year
        (budget(12_000, period=Period.ONE_OFF), 15),
        (budget(12_000, period=None, currency=None), 15),  # no period/currency: yearly, USD
        (budget(10_000, 20_000), 2),  # a range counts by its lower end
        (budget(None, 20_000), 5),  # "under 20k": only an upper limit
        (budget(None, 5_000), 2),  # "under 5k": below the minimum anyway
        (budget(11_000, currency="EUR"), 15),  # 12,100 USD
        (budget(11_000, currency="GBP"), None),  # no rate: cannot compare
        (budget(0), -10),  # zero is no budget
        (none(Dimension.BUDGET), -10),
        (unknown(Dimension.BUDGET), None),
    ],
)
def test_budget_points(facts: AnswerFacts, points: int | None) -> None:
    items = score(answers=[facts])
    if points is None:
        assert items == []
        return
    assert [(i.rule_id, i.category, i.cause_kind, i.cause_ref, i.points) for i in items] == [
        ("bant.budget", "bant", "answer", "answer:budget", points)
    ]


def test_budget_notes() -> None:
    assert score(answers=[budget(1_500, period=Period.MONTH)])[0].note == (
        "Budget USD 18,000 a year is at or above the minimum USD 12,000 (+15)"
    )
    assert score(answers=[budget(11_000, currency="EUR")])[0].note == (
        "Budget USD 12,100 a year (converted from EUR) is at or above the minimum USD 12,000 (+15)"
    )
    assert score(answers=[budget(None, 20_000)])[0].note.startswith("Budget under USD 20,000")
    assert score(answers=[none(Dimension.BUDGET)])[0].note == "Said there is no budget (-10)"


@pytest.mark.parametrize(
    ("decision_maker", "points"),
    [
        (DecisionMaker.YES, 15),
        (DecisionMaker.SHARED, 8),
        (DecisionMaker.NO, -3),
        (DecisionMaker.UNKNOWN, None),
    ],
)
def test_authority_points(decision_maker: DecisionMaker, points: int | None) -> None:
    items = score(answers=[authority(decision_maker)])
    assert [i.points for i in items] == ([] if points is None else [points])


def test_authority_note_names_role_and_others() -> None:
    facts = authority(DecisionMaker.NO, role="Sales manager", others=("CFO",))
    assert (
        score(answers=[facts])[0].note
        == "Sales manager: is not the decision maker (CFO decides) (-3)"
    )


def test_need_points_per_pain_point_capped() -> None:
    one = score(answers=[need("manual_work")])
    assert [(i.rule_id, i.points, i.note) for i in one] == [
        ("bant.need", 10, "Need matches 'Manual work' (+10)")
    ]
    two = score(answers=[need("manual_work", "slow_follow_up", "manual_work")])
    assert [(i.points, i.note) for i in two] == [
        (15, "Need matches 'Manual work', 'Slow follow-up' (capped at 15) (+15)")
    ]
    assert [i.points for i in score(answers=[need("not_configured")])] == [1]  # unmatched
    assert [i.points for i in score(answers=[none(Dimension.NEED)])] == [-10]


@pytest.mark.parametrize(
    ("start", "points"),
    [
        (date(2026, 12, 1), 15),
        (NOW.date() + timedelta(days=90), 15),
        (NOW.date() + timedelta(days=91), 3),
        (date(2028, 1, 1), 3),
    ],
)
def test_timeline_within_horizon(start: date, points: int) -> None:
    assert [i.points for i in score(answers=[timeline(start)])] == [points]


def test_timeline_note_and_none() -> None:
    assert score(answers=[timeline(date(2027, 1, 1), label="Q1 2027")])[0].note == (
        "Timeline 'Q1 2027' starts 2027-01-01, within 3 months (+15)"
    )
    assert [i.points for i in score(answers=[none(Dimension.TIMELINE)])] == [-5]


def test_unknown_answers_add_no_items() -> None:
    answers = [unknown(d) for d in Dimension]
    assert score(answers=answers) == []


def test_the_last_answer_for_a_dimension_counts() -> None:
    first = budget(50_000)
    later = none(Dimension.BUDGET)
    items = score(answers=[first, later])
    assert [i.points for i in items] == [-10]


def test_full_breakdown_order_and_sum() -> None:
    lead = LeadFacts(industry="software", employee_count=300, country="GB", seniority="c_level")
    events = [event(EventKind.DEMO_REQUEST, 70, "event:9")]
    answers = [
        timeline(date(2026, 12, 15)),
        need("manual_work"),
        authority(DecisionMaker.YES),
        budget(30_000),
    ]
    items = score(lead=lead, answers=answers, events=events)
    assert [i.category for i in items] == ["fit"] * 4 + ["behaviour", "decay"] + ["bant"] * 4
    assert [i.rule_id for i in items][-4:] == ["bant.budget", "bant.authority", "bant.need",
                                               "bant.timeline"]  # fmt: skip
    assert sum(i.points for i in items) == (10 + 15 + 5 + 10) + 20 - 5 + (15 + 15 + 10 + 15)


# --- reconcile ----------------------------------------------------------------------------


def lines(items: list[ScoreItem]) -> list[LedgerLine]:
    return [LedgerLine(rule_id=i.rule_id, cause_ref=i.cause_ref, points=i.points) for i in items]


def sums(entries: list[ScoreItem] | list[LedgerLine]) -> dict[tuple[str, str | None], int]:
    found: dict[tuple[str, str | None], int] = {}
    for entry in entries:
        key = (entry.rule_id, entry.cause_ref)
        found[key] = found.get(key, 0) + entry.points
    return {key: points for key, points in found.items() if points != 0}


LEAD = LeadFacts(industry="software", employee_count=120, annual_revenue=2_000_000, country="US")
EVENTS = [event(EventKind.VISIT, days, f"event:{days}") for days in (3, 2, 1)]
ANSWERS = [budget(20_000), need("manual_work")]


def test_first_scoring_appends_the_target_as_is() -> None:
    target = score(lead=LEAD, answers=ANSWERS, events=EVENTS)
    assert reconcile(ledger=[], target=target) == target
    assert reconcile(ledger=lines(target), target=target) == []


def test_rules_change_reverses_and_adjusts_to_the_new_target() -> None:
    old_target = score(lead=LEAD, answers=ANSWERS, events=EVENTS)
    ledger = lines(old_target)
    edited = SAMPLE_RULES.replace(
        "      points: 10\n", "      points: 12\n", 1
    )  # software 10 -> 12
    edited = edited.replace("  visit: {points: 2, cap: 5}", "  visit: {points: 3}")
    edited = edited.replace("    - {from: 1000000, below: 10000000, points: 5}\n", "")
    new_rules = sample_rules(edited)
    assert new_rules.version != RULES.version
    new_target = compute_score(rules=new_rules, lead=LEAD, answers=ANSWERS, events=EVENTS, now=NOW)

    deltas = reconcile(ledger=ledger, target=new_target, reason="rules changed")
    assert [(d.rule_id, d.cause_ref, d.points) for d in deltas] == [
        ("fit.industry", None, 2),
        ("behaviour.visit", "event:3", 1),
        ("behaviour.visit", "event:2", 1),
        ("behaviour.visit", "event:1", 2),
        ("fit.revenue", None, -5),
    ]
    assert (
        deltas[0].note
        == "re-scored, rules changed: Industry 'software' is in the ICP (+12) (was +10)"
    )
    assert deltas[-1].note == "reversed: rules changed (was +5)"
    assert (deltas[-1].category, deltas[-1].cause_kind) == ("fit", "lead")
    after = ledger + lines(deltas)
    assert sum(e.points for e in after) == sum(i.points for i in new_target)
    assert sums(after) == sums(new_target)
    assert reconcile(ledger=after, target=new_target) == []


def test_superseded_answer_is_reversed() -> None:
    ledger = [LedgerLine(rule_id="bant.budget", cause_ref="answer:1", points=15)]
    target = score(answers=[none(Dimension.BUDGET)])  # ref "answer:budget"
    deltas = reconcile(ledger=ledger, target=target)
    assert [(d.cause_ref, d.points, d.category, d.cause_kind) for d in deltas] == [
        ("answer:budget", -10, "bant", "answer"),
        ("answer:1", -15, "bant", "answer"),
    ]
    assert deltas[1].note == "reversed: the answer was superseded or no longer scores (was +15)"


def test_decay_grows_with_time_then_is_reversed_by_activity() -> None:
    events = [event(EventKind.CONTENT_DOWNLOAD, 60, "event:1")]
    ledger = lines(score(events=events))
    later = score(events=events, now=NOW + timedelta(days=30))
    deltas = reconcile(ledger=ledger, target=later)
    assert [(d.rule_id, d.points) for d in deltas] == [("decay.inactivity", -5)]
    assert deltas[0].note.startswith("re-scored: No activity for 90 days")
    ledger += lines(deltas)
    active = events + [event(EventKind.VISIT, -29, "event:2")]
    deltas = reconcile(ledger=ledger, target=score(events=active, now=NOW + timedelta(days=30)))
    assert [(d.rule_id, d.points, d.cause_kind) for d in deltas] == [
        ("behaviour.visit", 2, "event"),
        ("decay.inactivity", 10, "decay"),
    ]
    assert deltas[1].note == "reversed: the lead is active again (was -10)"


def test_ledger_lines_may_carry_category_and_cause_kind() -> None:
    line = LedgerLine(
        rule_id="custom", cause_ref="x:1", points=4, category="bant", cause_kind="answer"
    )
    [delta] = reconcile(ledger=[line], target=[])
    assert (delta.category, delta.cause_kind, delta.points) == ("bant", "answer", -4)


KEYS = st.sampled_from(
    [("fit.industry", None), ("behaviour.visit", "event:1"), ("behaviour.visit", "event:2"),
     ("bant.need", "answer:3"), ("decay.inactivity", None)]
)  # fmt: skip
POINTS = st.integers(min_value=-50, max_value=50)


@st.composite
def ledgers(draw: st.DrawFn) -> list[LedgerLine]:
    rows = draw(st.lists(st.tuples(KEYS, POINTS), max_size=12))
    return [LedgerLine(rule_id=k[0], cause_ref=k[1], points=p) for k, p in rows]


@st.composite
def targets(draw: st.DrawFn) -> list[ScoreItem]:
    rows = draw(st.lists(st.tuples(KEYS, POINTS), max_size=8))
    return [
        ScoreItem(rule_id=k[0], category=k[0].split(".")[0], points=p,
                  cause_kind="lead" if k[1] is None else k[1].split(":")[0], cause_ref=k[1],
                  note=f"{k[0]} ({p:+d})")
        for k, p in rows
    ]  # fmt: skip


@given(ledger=ledgers(), target=targets())
def test_reconcile_reaches_the_target_and_is_idempotent(
    ledger: list[LedgerLine], target: list[ScoreItem]
) -> None:
    deltas = reconcile(ledger=ledger, target=target)
    assert all(d.points != 0 for d in deltas)
    assert sum(e.points for e in ledger) + sum(d.points for d in deltas) == sum(
        t.points for t in target
    )
    after = ledger + lines(deltas)
    assert sums(after) == sums(target)
    assert reconcile(ledger=after, target=target) == []
    assert reconcile(ledger=ledger, target=target) == deltas  # deterministic
