"""Funnel analytics: every number checked against a recount from the raw audit rows.

`recount` below is plain Python over `stage_changes` (and the leads, handoff requests and users
tables) following storage/analytics.py's written definitions; it shares no query with it. The
seeded data set (funnel_seed.py) is also checked against numbers worked out by hand.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from qualification.errors import InvalidInput
from qualification.stages import HandoffStatus, Stage
from storage.analytics import (
    SOURCE_FIELDS,
    FunnelReport,
    Outcomes,
    Period,
    by_source,
    cohort,
    funnel_report,
)
from storage.models import HandoffRequest, Lead, StageChange, User
from tests.storage.funnel_seed import END, FIRST_DAY, LAST_DAY, START, seed_funnel

OUTCOME_STAGES = (Stage.SAL, Stage.SQL, Stage.NURTURE, Stage.DISQUALIFIED)
PERIOD = Period(FIRST_DAY, LAST_DAY)
H = timedelta(hours=1)


# --- the independent recount ---------------------------------------------------------------


@dataclass
class Recount:
    total: tuple[int, ...]
    weeks: dict[str, tuple[int, ...]]
    sources: dict[str, dict[str | None, tuple[int, ...]]]
    stays: dict[Stage, tuple[int, timedelta | None, int]]
    reasons: dict[Stage, tuple[int, list[tuple[str, int]]]]
    people: list[tuple[str, int, int, int]]


def _tally(flags: list[dict[Stage, bool]]) -> tuple[int, ...]:
    return (len(flags), *(sum(f[s] for f in flags) for s in OUTCOME_STAGES))


def _iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def recount(session: Session, first: date, last: date) -> Recount:
    start = datetime(first.year, first.month, first.day, tzinfo=START.tzinfo)
    end = datetime(last.year, last.month, last.day, tzinfo=START.tzinfo) + timedelta(days=1)
    rows = session.exec(select(StageChange)).all()
    leads = {lead.id: lead for lead in session.exec(select(Lead)).all()}
    journeys: dict[int, list[StageChange]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r.at, r.id or 0)):
        journeys[row.lead_id].append(row)

    # The cohort: first MQL entry in the period, then everything after it.
    members: dict[int, tuple[datetime, dict[Stage, bool]]] = {}
    for lead_id, moves in journeys.items():
        entries = [
            i for i, m in enumerate(moves) if m.to_stage is Stage.MQL and start <= m.at < end
        ]
        if entries:
            after = {m.to_stage for m in moves[entries[0] :]}
            members[lead_id] = (moves[entries[0]].at, {s: s in after for s in OUTCOME_STAGES})
    weeks: dict[str, list[dict[Stage, bool]]] = defaultdict(list)
    sources: dict[str, dict[str | None, list[dict[Stage, bool]]]] = {
        f: defaultdict(list) for f in SOURCE_FIELDS
    }
    for lead_id, (entered, flags) in members.items():
        weeks[_iso_week(entered)].append(flags)
        for f in SOURCE_FIELDS:
            value = (getattr(leads[lead_id], f) or "").strip() or None
            sources[f][value].append(flags)

    # Stays: from a move into a stage to the lead's next move.
    ended: dict[Stage, list[timedelta]] = {s: [] for s in (Stage.MQL, Stage.SAL, Stage.NURTURE)}
    still_open = dict.fromkeys(ended, 0)
    for moves in journeys.values():
        for i, move in enumerate(moves):
            if move.to_stage not in ended:
                continue
            following = moves[i + 1] if i + 1 < len(moves) else None
            if following is not None and start <= following.at < end:
                ended[move.to_stage].append(following.at - move.at)
            elif move.at < end and (following is None or following.at >= end):
                still_open[move.to_stage] += 1

    reasons: dict[Stage, dict[str, int]] = {Stage.NURTURE: {}, Stage.DISQUALIFIED: {}}
    for row in rows:
        if row.to_stage in reasons and start <= row.at < end:
            text = re.sub(r"\s+", " ", row.reason).strip().lower()
            reasons[row.to_stage][text] = reasons[row.to_stage].get(text, 0) + 1

    worked: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        if start <= row.at < end:
            if row.actor_user_id is not None:
                worked[row.actor_user_id].add(row.lead_id)
            owner = leads[row.lead_id].owner_id
            if owner is not None:
                worked[owner].add(row.lead_id)
    decided: dict[int, list[HandoffStatus]] = defaultdict(list)
    for request in session.exec(select(HandoffRequest)).all():
        if request.status in (HandoffStatus.APPROVED, HandoffStatus.REJECTED):
            assert request.decided_at is not None
            if start <= request.decided_at < end:
                who = request.requested_by_user_id or leads[request.lead_id].owner_id
                if who is not None:
                    decided[who].append(request.status)
    names = {u.id: u.name for u in session.exec(select(User)).all()}
    people = [
        (
            names[uid],
            len(worked[uid]),
            decided[uid].count(HandoffStatus.APPROVED),
            decided[uid].count(HandoffStatus.REJECTED),
        )
        for uid in set(worked) | set(decided)
    ]
    people.sort(key=lambda p: (-p[2], -p[1], p[0].lower()))

    return Recount(
        total=_tally([flags for _, flags in members.values()]),
        weeks={week: _tally(flags) for week, flags in weeks.items()},
        sources={f: {k: _tally(v) for k, v in groups.items()} for f, groups in sources.items()},
        stays={
            s: (
                len(ended[s]),
                timedelta(seconds=statistics.median(d.total_seconds() for d in ended[s]))
                if ended[s]
                else None,
                still_open[s],
            )
            for s in ended
        },
        reasons={
            s: (sum(c.values()), sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:8])
            for s, c in reasons.items()
        },
        people=people,
    )


def _numbers(outcomes: Outcomes) -> tuple[int, ...]:
    return (
        outcomes.mql,
        outcomes.sal,
        outcomes.sql,
        outcomes.nurture,
        outcomes.disqualified,
    )


def assert_matches(report: FunnelReport, expected: Recount) -> None:
    assert _numbers(report.total) == expected.total
    for week in report.weeks:
        assert _numbers(week.outcomes) == expected.weeks.get(week.label, (0, 0, 0, 0, 0))
    assert {w.label for w in report.weeks} >= set(expected.weeks)
    for breakdown in report.sources:
        got = {g.key: _numbers(g.outcomes) for g in breakdown.groups}
        assert got == expected.sources[breakdown.field]
        assert breakdown.other_groups == 0
    assert {
        t.stage: (t.ended, t.median, t.still_open) for t in report.stage_times
    } == expected.stays
    for summary in (report.nurture_reasons, report.disqualify_reasons):
        total, top = expected.reasons[summary.stage]
        assert summary.total == total
        assert [(r.text, r.count) for r in summary.top] == top
    assert [
        (p.name, p.leads_worked, p.approved, p.rejected) for p in report.people
    ] == expected.people


# --- tests ---------------------------------------------------------------------------------


def test_the_seeded_funnel_matches_the_recount_and_the_hand_worked_numbers(
    session: Session,
) -> None:
    seed_funnel(session)
    report = funnel_report(session=session, period=PERIOD)
    expected = recount(session, FIRST_DAY, LAST_DAY)
    assert_matches(report, expected)

    # Worked out by hand from funnel_seed.py: L1–L7, L9, L12 and L13 entered MQL in the period.
    assert report.total == Outcomes(mql=10, sal=6, sql=3, nurture=2, disqualified=4)
    assert report.total.share(Stage.SQL) == pytest.approx(3 / 10)
    assert report.total.sal_to_sql == pytest.approx(3 / 6)
    assert [(w.label, _numbers(w.outcomes)) for w in report.weeks] == [
        ("2030-W02", (4, 3, 1, 1, 2)),  # L1, L2, L9, L12
        ("2030-W03", (3, 1, 0, 0, 2)),  # L3, L4, L13 (re-engaged)
        ("2030-W04", (2, 1, 1, 0, 0)),  # L5, L6 (re-engaged)
        ("2030-W05", (1, 1, 1, 1, 0)),  # L7 (SQL after the period)
    ]
    channels = report.breakdown("source_channel")
    assert [(g.key, _numbers(g.outcomes)) for g in channels.groups] == [
        ("ads", (4, 3, 2, 2, 1)),
        ("webinar", (3, 2, 0, 0, 3)),
        ("events", (1, 0, 0, 0, 0)),
        ("seo", (1, 0, 0, 0, 0)),
        (None, (1, 1, 1, 0, 0)),
    ]
    campaigns = {g.key: g.outcomes.mql for g in report.breakdown("source_campaign").groups}
    assert campaigns == {"Spring Launch": 5, "Webinar Q1": 3, None: 2}  # " Spring Launch " too
    times = {t.stage: t for t in report.stage_times}
    assert (times[Stage.MQL].ended, times[Stage.MQL].median, times[Stage.MQL].still_open) == (
        10,
        24 * H,
        3,  # L5, L13; L9 left after the period; L10 entered after it
    )
    assert (times[Stage.SAL].ended, times[Stage.SAL].median, times[Stage.SAL].still_open) == (
        6,
        58 * H,
        2,  # L7 (approved after the period) and L8
    )
    # 24 h (L7), 9 days (L13) and L6's, which began before the period; L2 is still in nurture.
    assert (times[Stage.NURTURE].ended, times[Stage.NURTURE].median) == (3, 9 * 24 * H)
    assert times[Stage.NURTURE].still_open == 1
    assert [(r.text, r.count) for r in report.nurture_reasons.top] == [
        ("no budget", 2),
        ("not now", 1),
    ]
    assert [(r.text, r.count) for r in report.disqualify_reasons.top] == [
        ("no budget", 2),  # "  no BUDGET " and "No   budget"
        ("spam", 1),
        ("student", 1),
    ]
    people = {p.name: p for p in report.people}
    assert [p.name for p in report.people] == ["Sam Rivera", "Ria Okafor", "Morgan Lee"]
    sam, ria, morgan = people["Sam Rivera"], people["Ria Okafor"], people["Morgan Lee"]
    assert (sam.leads_worked, sam.approved, sam.rejected, sam.approval_rate) == (5, 2, 0, 1.0)
    assert (ria.leads_worked, ria.approved, ria.rejected, ria.approval_rate) == (4, 0, 1, 0.0)
    # The manager moved L1 and L6 to SQL by approving them; asked for nothing.
    assert (morgan.leads_worked, morgan.decided, morgan.approval_rate) == (2, 0, None)


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2030, 1, 7), date(2030, 1, 13)),  # the first week only
        (date(2030, 1, 10), date(2030, 1, 24)),  # mid-week to mid-week
        (date(2029, 12, 20), date(2030, 2, 10)),  # wider than every move
        (date(2030, 2, 1), date(2030, 2, 28)),  # the tail: approvals and exits after the period
        (date(2031, 1, 1), date(2031, 1, 31)),  # after everything: only open stays
        (date(2028, 2, 5), date(2030, 2, 3)),  # two years: 105 weeks
    ],
)
def test_other_periods_match_the_recount(session: Session, first: date, last: date) -> None:
    seed_funnel(session)
    report = funnel_report(session=session, period=Period(first, last))
    assert_matches(report, recount(session, first, last))


def test_an_empty_period_has_zeros_every_week_and_no_ratios(session: Session) -> None:
    seed_funnel(session)
    period = Period(date(2029, 6, 3), date(2029, 6, 16))  # long before the data set
    report = funnel_report(session=session, period=period)
    assert report.total == Outcomes()
    assert report.total.share(Stage.SAL) is None and report.total.sal_to_sql is None
    assert [w.label for w in report.weeks] == ["2029-W22", "2029-W23", "2029-W24"]
    assert all(w.outcomes == Outcomes() for w in report.weeks)
    assert all(b.groups == () for b in report.sources)
    assert all((t.ended, t.median, t.still_open) == (0, None, 0) for t in report.stage_times)
    assert report.nurture_reasons.total == report.disqualify_reasons.total == 0
    assert report.people == ()


def test_an_empty_database(session: Session) -> None:
    report = funnel_report(session=session, period=PERIOD)
    assert report.total == Outcomes() and len(report.weeks) == 4


def test_a_lead_that_comes_back_counts_once_from_its_entry_in_the_period(
    session: Session,
) -> None:
    seeded = seed_funnel(session)
    # L6's first journey (MQL, SAL, nurture) was before the period: a period around it sees
    # the nurture; the main period only sees the re-entry and what followed.
    before = funnel_report(session=session, period=Period(date(2029, 12, 28), date(2029, 12, 31)))
    assert before.total == Outcomes(mql=1, sal=1, sql=1, nurture=1, disqualified=0)
    members = cohort(PERIOD)
    entries = dict(session.exec(select(members.c.lead_id, members.c.entered_at)).all())
    assert entries[seeded.leads["l6"].id] == START + timedelta(days=16, hours=9)
    assert entries[seeded.leads["l7"].id] == START + timedelta(days=22, hours=9)  # the first
    assert entries[seeded.leads["l13"].id] == START + timedelta(days=10)
    assert seeded.leads["l8"].id not in entries and seeded.leads["l10"].id not in entries
    assert entries[seeded.leads["l9"].id] == START
    assert max(entries.values()) < END


def test_breakdowns_keep_the_biggest_groups_and_sum_the_rest(session: Session) -> None:
    seed_funnel(session)
    members = cohort(PERIOD)
    top = by_source(session=session, members=members, field="source_channel", limit=2)
    assert [g.key for g in top.groups] == ["ads", "webinar"]
    assert (top.other, top.other_groups) == (Outcomes(3, 1, 1, 0, 0), 3)
    with pytest.raises(ValueError, match="not a source field"):
        by_source(session=session, members=members, field="email")


def test_periods_are_whole_utc_days_and_at_most_two_years() -> None:
    period = Period.of(date(2030, 1, 9), date(2030, 1, 9))
    assert (period.start, period.end) == (
        datetime(2030, 1, 9, tzinfo=START.tzinfo),
        datetime(2030, 1, 10, tzinfo=START.tzinfo),
    )
    assert period.weeks() == (datetime(2030, 1, 7, tzinfo=START.tzinfo),)
    # 2028-01-01 is a Saturday: its week starts in 2027.
    assert len(Period.of(date(2028, 1, 1), date(2029, 12, 31)).weeks()) == 106
    with pytest.raises(InvalidInput, match="start date must not be after"):
        Period.of(date(2030, 1, 10), date(2030, 1, 9))
    with pytest.raises(InvalidInput, match="at most two years"):
        Period.of(date(2028, 1, 1), date(2030, 1, 2))
    with pytest.raises(InvalidInput, match="too far"):
        Period.of(date(9999, 12, 1), date.max)
