"""Time leads spend in a stage, from the stage-change audit log (see storage/analytics.py).

A stay begins with a move into a stage and ends with the lead's next move (ordered by time, then
by audit row). For a period [start, end): the median is over the stays that ended in it; stays
that began before `end` and had not ended by then are open, and only counted.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from qualification.stages import Stage
from storage.models import StageChange
from storage.types import UTCDateTime

TIMED_STAGES = (Stage.MQL, Stage.SAL, Stage.NURTURE)


@dataclass(frozen=True)
class StageTime:
    stage: Stage
    ended: int  # stays that ended in the period
    median: timedelta | None  # of those (None when there were none)
    still_open: int  # stays that began before the period's end and had not ended by then


def stage_times(*, session: Session, start: datetime, end: datetime) -> tuple[StageTime, ...]:
    """Median time in MQL, SAL and nurture over the stays that ended in [start, end)."""
    # Only moves before `end` take part, so a stay whose next move came later has none: open.
    stays = (
        select(
            col(StageChange.to_stage).label("stage"),
            col(StageChange.at).label("entered_at"),
            func.lead(col(StageChange.at), type_=UTCDateTime())
            .over(
                partition_by=col(StageChange.lead_id),
                order_by=(col(StageChange.at), col(StageChange.id)),
            )
            .label("left_at"),
        )
        .where(col(StageChange.at) < end)
        .subquery("stays")
    )
    timed = stays.c.stage.in_(TIMED_STAGES)
    ended = session.exec(
        select(stays.c.stage, stays.c.entered_at, stays.c.left_at).where(
            timed, stays.c.left_at >= start
        )
    ).all()
    still_open = dict(
        session.exec(
            select(stays.c.stage, func.count())
            .where(timed, stays.c.left_at.is_(None))
            .group_by(stays.c.stage)
        ).all()
    )
    seconds: dict[Stage, list[float]] = {stage: [] for stage in TIMED_STAGES}
    for stage, entered_at, left_at in ended:
        seconds[Stage(stage)].append((left_at - entered_at).total_seconds())
    return tuple(
        StageTime(
            stage=stage,
            ended=len(seconds[stage]),
            median=timedelta(seconds=statistics.median(seconds[stage])) if seconds[stage] else None,
            still_open=int(still_open.get(stage, 0)),
        )
        for stage in TIMED_STAGES
    )
