"""Funnel analytics of a chosen period, counted from the stage-change audit log.

A period is whole UTC days: [first day 00:00 UTC, the day after the last day 00:00 UTC).

**The cohort.** A lead belongs to a period's cohort when it entered MQL in the period: a
`stage_changes` row with `to_stage = 'mql'` (marked MQL, or re-engaged after nurture) dated in
it. A lead counts once, from its first MQL entry in the period (its *entry*). For each member,
every move recorded at or after its entry is looked at, including moves after the period ends
(a cohort's numbers mature as its leads move on):

- reached SAL / reached SQL: it entered SAL / SQL after its entry;
- nurtured / disqualified: it was returned to nurture / disqualified after its entry.

These are "ever" flags, not exclusive outcomes: a lead that went to nurture, came back as an MQL
and then became SQL counts under nurture and under SQL. Moves before the entry (an earlier
journey that ended in nurture, say) do not count. Shares are of the cohort (its MQLs); the step
conversions are SAL / MQL and SQL / SAL.

Breakdowns group the cohort by the lead's source channel, campaign and content asset (as they are
on the lead now; an empty value is "none"), and by the ISO week (Monday 00:00 UTC) of the entry.

**Time in a stage** (storage/analytics_stays.py): a stay begins with a move into a stage and ends
with the lead's next move. The medians are over the MQL, SAL and nurture stays that ended in the
period, wherever they began. Stays still open at the end of the period (no next move before it)
are left out of the median, which they would shorten, and counted beside it.

**Reasons** for returning leads to nurture and disqualifying them, and **per person** numbers:
storage/analytics_people.py.

Every count is a GROUP BY in the database (SQLite and PostgreSQL alike); Python only merges
grouped rows and takes the medians of the stays that ended in the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, literal_column
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, Subquery
from sqlmodel import Session, col, select

from qualification.errors import InvalidInput
from qualification.stages import Stage
from storage.analytics_people import PersonLine, ReasonSummary, people, reasons
from storage.analytics_stays import StageTime, stage_times
from storage.funnel import WEEK, week_start
from storage.models import Lead, StageChange

MAX_DAYS = 732  # two years, leap day included
BREAKDOWN_LIMIT = 20
OUTCOME_STAGES = (Stage.SAL, Stage.SQL, Stage.NURTURE, Stage.DISQUALIFIED)
SOURCE_FIELDS = ("source_channel", "source_campaign", "source_asset")


@dataclass(frozen=True)
class Period:
    """Whole UTC days from `first_day` to `last_day`, both included."""

    first_day: date
    last_day: date

    @classmethod
    def of(cls, first_day: date, last_day: date) -> Period:
        """The period, or InvalidInput when it is reversed or longer than two years."""
        if first_day > last_day:
            raise InvalidInput("the start date must not be after the end date")
        if (last_day - first_day).days + 1 > MAX_DAYS:
            raise InvalidInput("choose a period of at most two years")
        if last_day >= date.max:
            raise InvalidInput("the end date is too far in the future")
        return cls(first_day, last_day)

    @property
    def start(self) -> datetime:
        return datetime(self.first_day.year, self.first_day.month, self.first_day.day, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        after = self.last_day + timedelta(days=1)
        return datetime(after.year, after.month, after.day, tzinfo=UTC)

    def weeks(self) -> tuple[datetime, ...]:
        """The Mondays of the ISO weeks the period touches."""
        monday = week_start(self.start)
        mondays = []
        while monday < self.end:
            mondays.append(monday)
            monday += WEEK
        return tuple(mondays)


@dataclass(frozen=True)
class Outcomes:
    """A cohort (or part of one): its MQLs and how many of them reached each later stage."""

    mql: int = 0
    sal: int = 0
    sql: int = 0
    nurture: int = 0
    disqualified: int = 0

    def __add__(self, other: Outcomes) -> Outcomes:
        return Outcomes(
            self.mql + other.mql,
            self.sal + other.sal,
            self.sql + other.sql,
            self.nurture + other.nurture,
            self.disqualified + other.disqualified,
        )

    def count(self, stage: Stage) -> int:
        counts = {
            Stage.MQL: self.mql,
            Stage.SAL: self.sal,
            Stage.SQL: self.sql,
            Stage.NURTURE: self.nurture,
            Stage.DISQUALIFIED: self.disqualified,
        }
        return counts[stage]

    def share(self, stage: Stage) -> float | None:
        """The share of the MQLs that reached `stage` (None for an empty cohort)."""
        return self.count(stage) / self.mql if self.mql else None

    @property
    def sal_to_sql(self) -> float | None:
        """The step conversion SAL → SQL."""
        return self.sql / self.sal if self.sal else None


@dataclass(frozen=True)
class Group:
    """One value of a breakdown (None: the leads have no value) and its part of the cohort."""

    key: str | None
    outcomes: Outcomes


@dataclass(frozen=True)
class Breakdown:
    """The biggest groups of the cohort by one source field, and the rest summed up."""

    field: str
    groups: tuple[Group, ...]
    other: Outcomes  # the groups beyond the limit, together
    other_groups: int


@dataclass(frozen=True)
class Week:
    start: datetime  # Monday 00:00 UTC
    outcomes: Outcomes

    @property
    def label(self) -> str:
        year, number, _ = self.start.isocalendar()
        return f"{year}-W{number:02d}"


@dataclass(frozen=True)
class FunnelReport:
    period: Period
    total: Outcomes
    weeks: tuple[Week, ...]
    sources: tuple[Breakdown, ...]  # by source_channel, source_campaign, source_asset
    stage_times: tuple[StageTime, ...]
    nurture_reasons: ReasonSummary
    disqualify_reasons: ReasonSummary
    people: tuple[PersonLine, ...]

    def breakdown(self, field: str) -> Breakdown:
        return next(b for b in self.sources if b.field == field)


def _within(period: Period, column: Any) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


def cohort(period: Period) -> Subquery:
    """One row per cohort member: lead_id, entered_at, and a 0/1 column per outcome stage."""
    entry = (
        select(col(StageChange.lead_id).label("lead_id"), func.min(StageChange.at).label("at"))
        .where(col(StageChange.to_stage) == Stage.MQL, _within(period, col(StageChange.at)))
        .group_by(col(StageChange.lead_id))
        .subquery("entry")
    )
    later = aliased(StageChange, name="later")
    reached = [
        func.max(case((col(later.to_stage) == stage, 1), else_=0)).label(stage.value)
        for stage in OUTCOME_STAGES
    ]
    return (
        select(entry.c.lead_id, entry.c.at.label("entered_at"), *reached)
        .select_from(entry)
        .join(
            later,
            and_(col(later.lead_id) == entry.c.lead_id, col(later.at) >= entry.c.at),
        )
        .group_by(entry.c.lead_id, entry.c.at)
        .subquery("cohort")
    )


def _counted(rows: Any) -> Any:
    """The aggregate columns of grouped cohort rows: members, then one sum per outcome."""
    return (
        func.count(),
        *(func.coalesce(func.sum(rows.c[stage.value]), 0) for stage in OUTCOME_STAGES),
    )


def _outcomes(numbers: Any) -> Outcomes:
    mql, sal, sql, nurture, disqualified = (int(n) for n in numbers)
    return Outcomes(mql, sal, sql, nurture, disqualified)


def by_week(*, session: Session, period: Period, members: Subquery) -> tuple[Week, ...]:
    """The cohort by the ISO week of its members' entry (every week of the period, also empty)."""
    mondays = period.weeks()
    entered = members.c.entered_at
    week: ColumnElement[int] = (
        case(
            *((entered < monday, i - 1) for i, monday in enumerate(mondays) if i),
            else_=len(mondays) - 1,
        )
        if len(mondays) > 1
        else literal(0)
    )
    # Grouped in an outer query: the CASE carries parameters PostgreSQL would see twice.
    labelled = select(week.label("week"), *(members.c[s.value] for s in OUTCOME_STAGES)).subquery()
    rows = session.exec(
        select(labelled.c.week, *_counted(labelled)).group_by(labelled.c.week)
    ).all()
    counts = {int(row[0]): _outcomes(row[1:]) for row in rows}
    return tuple(Week(monday, counts.get(i, Outcomes())) for i, monday in enumerate(mondays))


def by_source(
    *, session: Session, members: Subquery, field: str, limit: int = BREAKDOWN_LIMIT
) -> Breakdown:
    """The cohort by one source field of its leads, biggest groups first."""
    if field not in SOURCE_FIELDS:
        raise ValueError(f"not a source field: {field}")
    value = func.nullif(func.trim(getattr(Lead, field)), literal_column("''"))
    labelled = (
        select(value.label("key"), *(members.c[s.value] for s in OUTCOME_STAGES))
        .select_from(members)
        .join(Lead, col(Lead.id) == members.c.lead_id)
        .subquery()
    )
    rows = session.exec(select(labelled.c.key, *_counted(labelled)).group_by(labelled.c.key)).all()
    groups = sorted(
        (Group(key, _outcomes(numbers)) for key, *numbers in rows),
        key=lambda g: (-g.outcomes.mql, g.key is None, g.key or ""),
    )
    rest = groups[limit:]
    other = sum((g.outcomes for g in rest), Outcomes())
    return Breakdown(field=field, groups=tuple(groups[:limit]), other=other, other_groups=len(rest))


def funnel_report(
    *, session: Session, period: Period, breakdown_limit: int = BREAKDOWN_LIMIT
) -> FunnelReport:
    """Everything the funnel page shows for `period` (see the module's docstring)."""
    members = cohort(period)
    weeks = by_week(session=session, period=period, members=members)
    nurture, disqualify = reasons(session=session, start=period.start, end=period.end)
    return FunnelReport(
        period=period,
        total=sum((w.outcomes for w in weeks), Outcomes()),
        weeks=weeks,
        sources=tuple(
            by_source(session=session, members=members, field=field, limit=breakdown_limit)
            for field in SOURCE_FIELDS
        ),
        stage_times=stage_times(session=session, start=period.start, end=period.end),
        nurture_reasons=nurture,
        disqualify_reasons=disqualify,
        people=people(session=session, start=period.start, end=period.end),
    )
