"""A week of the funnel, counted from the stage-change audit log (ISO weeks, UTC)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import distinct, func
from sqlmodel import Session, col, select

from qualification.stages import Stage
from storage.models import StageChange

FUNNEL_STAGES = (Stage.MQL, Stage.SAL, Stage.SQL, Stage.NURTURE, Stage.DISQUALIFIED)
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class FunnelWeek:
    """What happened in [start, end): leads that entered each stage, and how SALs were decided.

    A lead counts once per stage even if it entered that stage twice in the week.
    """

    start: datetime
    end: datetime
    entered: dict[Stage, int]
    sal_decided: int  # leads that left SAL (to SQL, nurture or disqualified)
    sal_to_sql: int  # of those, the ones handed to sales
    median_sal_to_sql: timedelta | None  # time from entering SAL to SQL, for those

    @property
    def conversion(self) -> float | None:
        """The share of decided SALs that became SQL (None when none was decided)."""
        return self.sal_to_sql / self.sal_decided if self.sal_decided else None


def week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the ISO week `moment` falls in."""
    day = moment.astimezone(UTC).date()
    monday = day - timedelta(days=day.weekday())
    return datetime(monday.year, monday.month, monday.day, tzinfo=UTC)


def funnel_week(*, session: Session, start: datetime, end: datetime) -> FunnelWeek:
    """Count the moves recorded in [start, end)."""
    in_window = (col(StageChange.at) >= start, col(StageChange.at) < end)
    leads = func.count(distinct(col(StageChange.lead_id)))
    entered_rows = session.exec(
        select(StageChange.to_stage, leads)
        .where(*in_window, col(StageChange.to_stage).in_(FUNNEL_STAGES))
        .group_by(col(StageChange.to_stage))
    ).all()
    entered = dict.fromkeys(FUNNEL_STAGES, 0)
    entered.update({Stage(stage): count for stage, count in entered_rows})
    left_sal = dict(
        session.exec(
            select(StageChange.to_stage, leads)
            .where(*in_window, StageChange.from_stage == Stage.SAL)
            .group_by(col(StageChange.to_stage))
        ).all()
    )
    return FunnelWeek(
        start=start,
        end=end,
        entered=entered,
        sal_decided=sum(left_sal.values()),
        sal_to_sql=left_sal.get(Stage.SQL, 0),
        median_sal_to_sql=_median_sal_to_sql(session=session, start=start, end=end),
    )


def _median_sal_to_sql(*, session: Session, start: datetime, end: datetime) -> timedelta | None:
    promoted = session.exec(
        select(StageChange.lead_id, StageChange.at).where(
            col(StageChange.at) >= start,
            col(StageChange.at) < end,
            StageChange.from_stage == Stage.SAL,
            StageChange.to_stage == Stage.SQL,
        )
    ).all()
    if not promoted:
        return None
    accepted: dict[int, list[datetime]] = {}
    for lead_id, at in session.exec(
        select(StageChange.lead_id, StageChange.at).where(
            col(StageChange.lead_id).in_({lead_id for lead_id, _ in promoted}),
            StageChange.to_stage == Stage.SAL,
            col(StageChange.at) < end,
        )
    ).all():
        accepted.setdefault(lead_id, []).append(at)
    durations = [
        (at - max(entered)).total_seconds()
        for lead_id, at in promoted
        if (entered := [moment for moment in accepted.get(lead_id, []) if moment <= at])
    ]
    return timedelta(seconds=statistics.median(durations)) if durations else None


def this_and_last_week(*, session: Session, now: datetime) -> tuple[FunnelWeek, FunnelWeek]:
    """This ISO week so far (Monday 00:00 UTC up to `now`) and the whole week before it."""
    start = week_start(now)
    return (
        funnel_week(session=session, start=start, end=now),
        funnel_week(session=session, start=start - WEEK, end=start),
    )
