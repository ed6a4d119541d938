"""The funnel page's charts and number formats, built from a `FunnelReport`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from markupsafe import Markup

from bot.dashboard.charts import Bar, Column, bar_chart, column_chart
from bot.dashboard.pages import STAGE_LABELS
from qualification.stages import Stage
from storage.analytics import Breakdown, FunnelReport, Outcomes
from storage.analytics_people import PersonLine, ReasonSummary

NONE_LABEL = "(none)"
SOURCES = {
    "source_channel": ("channel", "Channel"),
    "source_campaign": ("campaign", "Campaign"),
    "source_asset": ("asset", "Content asset"),
}
FUNNEL_STAGES = (Stage.MQL, Stage.SAL, Stage.SQL, Stage.NURTURE, Stage.DISQUALIFIED)


def pct(share: float | None) -> str:
    """A share as "33.3%" ("—" when there is nothing to divide by)."""
    if share is None:
        return "—"
    return f"{share * 100:.1f}".rstrip("0").rstrip(".") + "%"


def duration(span: timedelta | None) -> str:
    """A stay as hours under two days, days above ("—" when there is none)."""
    if span is None:
        return "—"
    hours = span.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.1f}".rstrip("0").rstrip(".") + " h"
    return f"{hours / 24:.1f}".rstrip("0").rstrip(".") + " d"


def label(key: str | None) -> str:
    return NONE_LABEL if key is None else key


@dataclass(frozen=True)
class SourceView:
    slug: str  # channel, campaign, asset
    title: str
    breakdown: Breakdown
    chart: Markup


@dataclass(frozen=True)
class FunnelView:
    report: FunnelReport
    funnel_chart: Markup
    sources: tuple[SourceView, ...]
    week_chart: Markup
    stage_time_chart: Markup
    reasons: tuple[tuple[ReasonSummary, Markup], ...]
    people: tuple[PersonLine, ...]
    people_chart: Markup


def funnel_chart(total: Outcomes) -> Markup:
    bars = [
        Bar(
            label=STAGE_LABELS[stage.value],
            value=total.count(stage),
            text=f"{total.count(stage)} · {pct(total.share(stage))}",
            tone=stage.value,
        )
        for stage in FUNNEL_STAGES
    ]
    return bar_chart(
        chart_id="funnel-chart",
        title="Funnel of the leads that became MQL in this period",
        desc=(
            f"Of {total.mql} MQLs, {total.sal} reached SAL ({pct(total.share(Stage.SAL))}), "
            f"{total.sql} reached SQL ({pct(total.share(Stage.SQL))}), {total.nurture} were "
            f"returned to nurture and {total.disqualified} were disqualified."
        ),
        bars=bars,
        maximum=total.mql,
    )


def source_chart(slug: str, title: str, breakdown: Breakdown) -> Markup:
    bars = [
        Bar(
            label=label(group.key),
            value=group.outcomes.share(Stage.SAL) or 0,
            inner=group.outcomes.share(Stage.SQL) or 0,
            text=f"{pct(group.outcomes.share(Stage.SQL))} SQL of {group.outcomes.mql}",
            tone="sal",
        )
        for group in breakdown.groups
    ]
    return bar_chart(
        chart_id=f"{slug}-chart",
        title=f"Conversion by {title.lower()}",
        desc=(
            f"For each {title.lower()}, the share of its MQLs that reached SAL (long bar) and SQL "
            "(inner bar); the number of MQLs is after each bar."
        ),
        bars=bars,
        maximum=1,
        inner_tone="sql",
        legend=(("sal", "reached SAL"), ("sql", "reached SQL")),
    )


def week_chart(report: FunnelReport) -> Markup:
    return column_chart(
        chart_id="weeks-chart",
        title="MQLs by week of entry, and how many reached SAL and SQL",
        desc=(
            f"{len(report.weeks)} ISO weeks, from {report.weeks[0].label} to "
            f"{report.weeks[-1].label}; the table below has every number."
        ),
        columns=[
            Column(w.label[5:], (w.outcomes.mql, w.outcomes.sal, w.outcomes.sql))
            for w in report.weeks
        ],
        series=(("mql", "MQL"), ("sal", "reached SAL"), ("sql", "reached SQL")),
    )


def stage_time_chart(report: FunnelReport) -> Markup:
    bars = [
        Bar(
            label=STAGE_LABELS[t.stage.value],
            value=t.median.total_seconds() / 3600 if t.median else 0,
            text=f"{duration(t.median)} ({t.ended} stay{'s' if t.ended != 1 else ''})",
            tone=t.stage.value,
        )
        for t in report.stage_times
    ]
    return bar_chart(
        chart_id="stage-time-chart",
        title="Median time in each stage",
        desc=(
            "Median time from entering a stage to leaving it, over the stays that ended in this "
            "period; stays still open at its end are not included."
        ),
        bars=bars,
    )


def reason_chart(summary: ReasonSummary) -> Markup:
    name = "returns to nurture" if summary.stage is Stage.NURTURE else "disqualifications"
    bars = [
        Bar(label=r.text, value=r.count, text=str(r.count), tone=summary.stage.value)
        for r in summary.top
    ]
    if summary.other:
        bars.append(Bar(label="other reasons", value=summary.other, text=str(summary.other)))
    return bar_chart(
        chart_id=f"{summary.stage.value}-reasons-chart",
        title=f"Reasons for {name}",
        desc=f"{summary.total} {name} in this period, by reason (most frequent first).",
        bars=bars,
    )


def people_chart(people: tuple[PersonLine, ...]) -> Markup:
    bars = [
        Bar(
            label=p.name,
            value=p.leads_worked,
            inner=p.approved,
            text=f"{p.leads_worked} worked · {p.approved} SQL · {pct(p.approval_rate)}",
        )
        for p in people
    ]
    return bar_chart(
        chart_id="people-chart",
        title="Leads worked and SQLs approved per person",
        desc="Long bar: leads worked in this period; inner bar: handoffs approved (SQLs).",
        bars=bars,
        inner_tone="sql",
        legend=(("main", "leads worked"), ("sql", "SQLs approved")),
    )


def funnel_view(report: FunnelReport, *, people: tuple[PersonLine, ...]) -> FunnelView:
    """The page's charts; `people` are the per-person lines this viewer may see."""
    return FunnelView(
        report=report,
        funnel_chart=funnel_chart(report.total),
        sources=tuple(
            SourceView(slug, title, b, source_chart(slug, title, b))
            for b in report.sources
            for slug, title in (SOURCES[b.field],)
        ),
        week_chart=week_chart(report),
        stage_time_chart=stage_time_chart(report),
        reasons=tuple(
            (summary, reason_chart(summary))
            for summary in (report.nurture_reasons, report.disqualify_reasons)
        ),
        people=people,
        people_chart=people_chart(people),
    )
