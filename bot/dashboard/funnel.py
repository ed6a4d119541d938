"""`/dashboard/funnel`: funnel analytics for a chosen period, as charts beside their numbers,
and each table as CSV (`/dashboard/funnel.csv?table=…`)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from bot.dashboard.deps import CurrentUser, DashboardDep
from bot.dashboard.funnel_csv import TABLES
from bot.dashboard.funnel_view import FunnelView, duration, funnel_view, label, pct
from bot.dashboard.pages import render_page
from bot.dashboard.routing import DashboardRoute
from qualification.errors import InvalidInput, NotFound
from qualification.stages import Role
from storage.analytics import FunnelReport, Period, funnel_report
from storage.analytics_people import PersonLine
from storage.funnel import WEEK, week_start
from storage.models import User

DEFAULT_WEEKS = 12
PRESET_WEEKS = (4, 12, 26, 52)
EXPORT_GROUPS = 10_000
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

FromParam = Annotated[str, Query(alias="from", description="First day, YYYY-MM-DD")]
ToParam = Annotated[str, Query(alias="to", description="Last day, YYYY-MM-DD")]


def _day(text: str, name: str) -> date:
    text = text.strip()
    try:
        if _DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    shown = text if len(text) <= 40 else text[:39] + "…"
    raise InvalidInput(f'the {name} date "{shown}" is not a date: use YYYY-MM-DD, e.g. 2030-01-07')


def weeks_back(last_day: date, weeks: int) -> date:
    """The Monday that starts the `weeks` ISO weeks ending with the week of `last_day`."""
    monday = week_start(datetime(last_day.year, last_day.month, last_day.day, tzinfo=UTC))
    return (monday - (weeks - 1) * WEEK).date()


def period_of(first: str, last: str, *, today: date) -> Period:
    """The period the form asks for: by default the last 12 ISO weeks up to today."""
    last_day = _day(last, "end") if last.strip() else today
    first_day = _day(first, "start") if first.strip() else weeks_back(last_day, DEFAULT_WEEKS)
    return Period.of(first_day, last_day)


def visible_people(report: FunnelReport, user: User) -> tuple[PersonLine, ...]:
    """Managers see everyone's numbers; an SDR sees their own."""
    if user.role is Role.MANAGER:
        return report.people
    return tuple(p for p in report.people if p.user_id == user.id)


def presets(today: date) -> list[tuple[str, dict[str, str]]]:
    return [
        (f"Last {n} weeks", {"from": weeks_back(today, n).isoformat(), "to": today.isoformat()})
        for n in PRESET_WEEKS
    ]


def _page(
    request: Request,
    user: User,
    *,
    today: date,
    form: dict[str, str],
    problem: str,
    view: FunnelView | None,
) -> Response:
    return render_page(
        request,
        "funnel.html",
        user=user,
        active="funnel",
        status_code=422 if problem else 200,
        form=form,
        presets=presets(today),
        problem=problem,
        view=view,
        pct=pct,
        duration=duration,
        label=label,
    )


def build_funnel_router() -> APIRouter:
    router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)

    @router.get("/funnel", name="dashboard_funnel", response_class=HTMLResponse)
    def funnel(
        request: Request,
        user: CurrentUser,
        dashboard: DashboardDep,
        first: FromParam = "",
        last: ToParam = "",
    ) -> Response:
        """MQL → SAL → SQL conversion, by source and week, stage times, exit reasons, people."""
        today = datetime.now(UTC).date()
        try:
            period = period_of(first, last, today=today)
        except InvalidInput as exc:
            form = {"from": first.strip()[:40], "to": last.strip()[:40]}
            return _page(request, user, today=today, form=form, problem=str(exc), view=None)
        with dashboard.runtime.session() as session:
            report = funnel_report(session=session, period=period)
            session.commit()
        form = {"from": period.first_day.isoformat(), "to": period.last_day.isoformat()}
        view = funnel_view(report, people=visible_people(report, user))
        return _page(request, user, today=today, form=form, problem="", view=view)

    @router.get("/funnel.csv", name="dashboard_funnel_csv")
    def funnel_export(
        user: CurrentUser,
        dashboard: DashboardDep,
        table: Annotated[str, Query(description="Which table")] = "funnel",
        first: FromParam = "",
        last: ToParam = "",
    ) -> Response:
        """One of the funnel page's tables, for the same period, as CSV."""
        write = TABLES.get(table)
        if write is None:
            raise NotFound(
                f"there is no funnel table {table[:40]!r}: use one of {', '.join(TABLES)}"
            )
        period = period_of(first, last, today=datetime.now(UTC).date())
        with dashboard.runtime.session() as session:
            report = funnel_report(session=session, period=period, breakdown_limit=EXPORT_GROUPS)
            session.commit()
        body = write(report, visible_people(report, user))
        days = f"{period.first_day:%Y%m%d}-{period.last_day:%Y%m%d}"
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="baton-funnel-{table}-{days}.csv"'
            },
        )

    return router
