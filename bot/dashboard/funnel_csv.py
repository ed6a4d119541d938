"""The funnel page's tables as CSV, one table per file (shares as fractions, times in hours)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta

from bot.dashboard.exports import cell
from qualification.stages import Stage
from storage.analytics import Breakdown, FunnelReport, Outcomes
from storage.analytics_people import PersonLine

OUTCOME_COLUMNS = ("mql", "sal", "sql", "nurture", "disqualified", "sal_share", "sql_share")
STAGES = (Stage.MQL, Stage.SAL, Stage.SQL, Stage.NURTURE, Stage.DISQUALIFIED)


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _hours(span: timedelta | None) -> str:
    return "" if span is None else f"{span.total_seconds() / 3600:.2f}"


def _outcomes(o: Outcomes) -> list[object]:
    return [
        o.mql,
        o.sal,
        o.sql,
        o.nurture,
        o.disqualified,
        _share(o.share(Stage.SAL)),
        _share(o.share(Stage.SQL)),
    ]


def _write(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return out.getvalue()


def _breakdown(field: str) -> Callable[[FunnelReport, tuple[PersonLine, ...]], str]:
    def table(report: FunnelReport, _people: tuple[PersonLine, ...]) -> str:
        b: Breakdown = report.breakdown(field)
        rows = [[g.key or "", *_outcomes(g.outcomes)] for g in b.groups]
        if b.other_groups:
            rows.append([f"({b.other_groups} more)", *_outcomes(b.other)])
        return _write(("value", *OUTCOME_COLUMNS), rows)

    return table


def funnel_table(report: FunnelReport, _people: tuple[PersonLine, ...]) -> str:
    total = report.total
    return _write(
        ("stage", "leads", "share_of_mqls"),
        ([s.value, total.count(s), _share(total.share(s))] for s in STAGES),
    )


def weeks_table(report: FunnelReport, _people: tuple[PersonLine, ...]) -> str:
    return _write(
        ("week", "monday", *OUTCOME_COLUMNS),
        ([w.label, w.start.date().isoformat(), *_outcomes(w.outcomes)] for w in report.weeks),
    )


def stage_times_table(report: FunnelReport, _people: tuple[PersonLine, ...]) -> str:
    return _write(
        ("stage", "stays_ended", "median_hours", "still_open"),
        ([t.stage.value, t.ended, _hours(t.median), t.still_open] for t in report.stage_times),
    )


def reasons_table(report: FunnelReport, _people: tuple[PersonLine, ...]) -> str:
    rows: list[list[object]] = []
    for summary in (report.nurture_reasons, report.disqualify_reasons):
        rows += [[summary.stage.value, r.text, r.count] for r in summary.top]
        if summary.other:
            rows.append([summary.stage.value, "(other reasons)", summary.other])
    return _write(("to_stage", "reason", "moves"), rows)


def people_table(_report: FunnelReport, people: tuple[PersonLine, ...]) -> str:
    return _write(
        ("name", "role", "leads_worked", "sqls_approved", "rejected", "approval_rate"),
        (
            [p.name, p.role.value, p.leads_worked, p.approved, p.rejected, _share(p.approval_rate)]
            for p in people
        ),
    )


TABLES: dict[str, Callable[[FunnelReport, tuple[PersonLine, ...]], str]] = {
    "funnel": funnel_table,
    "weeks": weeks_table,
    "channel": _breakdown("source_channel"),
    "campaign": _breakdown("source_campaign"),
    "asset": _breakdown("source_asset"),
    "stage-times": stage_times_table,
    "reasons": reasons_table,
    "people": people_table,
}
