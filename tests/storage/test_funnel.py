"""The weekly funnel: counted from the stage-change audit log, ISO weeks in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlmodel import Session

from qualification.lifecycle import Actor, MoveContext, StageEvent
from qualification.stages import Stage
from storage.funnel import FUNNEL_STAGES, funnel_week, this_and_last_week, week_start
from storage.leads import move_stage
from storage.models import Lead
from tests.factories import make_lead

NOW = datetime(2030, 1, 9, 12, 0, tzinfo=UTC)  # a Wednesday
MONDAY = datetime(2030, 1, 7, tzinfo=UTC)
LAST_MONDAY = MONDAY - timedelta(days=7)
ACTOR = Actor.system("test")


def _move(session: Session, lead: Lead, event: StageEvent, at: datetime) -> None:
    """A real audited move, dated `at` (the audit row is back-dated after the fact)."""
    context = MoveContext(handoff_approved=True) if event is StageEvent.PROMOTE else None
    change = move_stage(
        session=session, lead=lead, event=event, actor=ACTOR, reason="test", context=context
    )
    change.at = at
    session.add(change)
    session.commit()


def _journey(session: Session, *moves: tuple[StageEvent, datetime]) -> Lead:
    lead = make_lead(session)
    for event, at in moves:
        _move(session, lead, event, at)
    return lead


def _day(monday: datetime, days: float, hours: float = 0) -> datetime:
    return monday + timedelta(days=days, hours=hours)


def test_week_start_is_monday_midnight_utc() -> None:
    assert week_start(NOW) == MONDAY
    assert week_start(MONDAY) == MONDAY
    assert week_start(MONDAY - timedelta(microseconds=1)) == LAST_MONDAY  # Sunday 23:59:59
    # Monday 01:00 in UTC+2 is still Sunday in UTC.
    assert week_start(datetime(2030, 1, 7, 1, 0, tzinfo=timezone(timedelta(hours=2)))) == (
        LAST_MONDAY
    )


def test_this_week_counts_only_its_own_moves_and_last_week_is_beside_it(
    session: Session,
) -> None:
    mql, sal, sql = StageEvent.MARK_MQL, StageEvent.ACCEPT, StageEvent.PROMOTE
    # MQL on Sunday 23:59:59 (last week), SAL on Monday 00:00 sharp, SQL 34 h later.
    _journey(
        session,
        (mql, MONDAY - timedelta(seconds=1)),
        (sal, MONDAY),
        (sql, _day(MONDAY, 1, 10)),
    )
    # Entirely last week: SAL Tuesday, SQL 48 h later.
    _journey(
        session,
        (mql, _day(LAST_MONDAY, 0, 9)),
        (sal, _day(LAST_MONDAY, 1, 9)),
        (sql, _day(LAST_MONDAY, 3, 9)),
    )
    # SAL last Wednesday, SQL this Wednesday: 7 days, counted this week.
    _journey(
        session,
        (mql, _day(LAST_MONDAY, 0, 10)),
        (sal, _day(LAST_MONDAY, 2, 9)),
        (sql, _day(MONDAY, 2, 9)),
    )
    # This week: MQL, SAL, back to nurture, MQL again (one lead counts once per stage).
    _journey(
        session,
        (mql, _day(MONDAY, 0, 8)),
        (sal, _day(MONDAY, 0, 9)),
        (StageEvent.RETURN_TO_NURTURE, _day(MONDAY, 1, 9)),
        (StageEvent.REENGAGE, _day(MONDAY, 1, 12)),
    )
    # This week: MQL, SAL, disqualified.
    _journey(
        session,
        (mql, _day(MONDAY, 0, 11)),
        (sal, _day(MONDAY, 0, 12)),
        (StageEvent.DISQUALIFY, _day(MONDAY, 1, 8)),
    )
    # MQL this week; its SAL move is dated after `now` and is not counted.
    _journey(session, (mql, _day(MONDAY, 1, 6)), (sal, _day(MONDAY, 3, 10)))

    this_week, last_week = this_and_last_week(session=session, now=NOW)

    assert (this_week.start, this_week.end) == (MONDAY, NOW)
    assert (last_week.start, last_week.end) == (LAST_MONDAY, MONDAY)
    assert this_week.entered == {
        Stage.MQL: 3,
        Stage.SAL: 3,
        Stage.SQL: 2,
        Stage.NURTURE: 1,
        Stage.DISQUALIFIED: 1,
    }
    assert last_week.entered == {
        Stage.MQL: 3,
        Stage.SAL: 2,
        Stage.SQL: 1,
        Stage.NURTURE: 0,
        Stage.DISQUALIFIED: 0,
    }
    # Left SAL this week: two to SQL, one to nurture, one disqualified.
    assert (this_week.sal_decided, this_week.sal_to_sql, this_week.conversion) == (4, 2, 0.5)
    assert (last_week.sal_decided, last_week.sal_to_sql, last_week.conversion) == (1, 1, 1.0)
    # Median of 34 h and 7 days; last week only 48 h.
    assert this_week.median_sal_to_sql == timedelta(hours=(34 + 168) / 2)
    assert last_week.median_sal_to_sql == timedelta(hours=48)


def test_median_uses_the_latest_entry_into_sal(session: Session) -> None:
    # SAL, nurture, MQL, SAL again, then SQL: measured from the second SAL.
    _journey(
        session,
        (StageEvent.MARK_MQL, _day(MONDAY, 0, 1)),
        (StageEvent.ACCEPT, _day(MONDAY, 0, 2)),
        (StageEvent.RETURN_TO_NURTURE, _day(MONDAY, 0, 3)),
        (StageEvent.REENGAGE, _day(MONDAY, 0, 4)),
        (StageEvent.ACCEPT, _day(MONDAY, 0, 5)),
        (StageEvent.PROMOTE, _day(MONDAY, 0, 8)),
    )
    week = funnel_week(session=session, start=MONDAY, end=NOW)
    assert week.median_sal_to_sql == timedelta(hours=3)
    assert week.entered[Stage.SAL] == 1 and week.entered[Stage.MQL] == 1


def test_an_empty_week_has_zeros_and_no_ratios(session: Session) -> None:
    week = funnel_week(session=session, start=MONDAY, end=NOW)
    assert week.entered == dict.fromkeys(FUNNEL_STAGES, 0)
    assert week.conversion is None and week.median_sal_to_sql is None
