"""Small server-rendered SVG charts: horizontal bars and grouped columns, no JavaScript.

Each chart is an inline `<svg role="img">` whose `<title>` and `<desc>` give its accessible name
and description. Every text that goes in (campaign and asset names come from marketing systems,
reasons from people) is escaped here. Colours come from `tone-…` classes in dashboard.css: the
dashboard's CSP allows no style attributes, and presentation attributes only set geometry.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 680
LABEL_WIDTH = 200
TEXT_WIDTH = 160
ROW = 28
BAR = 18
INNER = 8
LABEL_CHARS = 24
_ID = re.compile(r"[a-z][a-z0-9-]{0,60}")


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: a bar of `value` and, inside it, an optional narrower one."""

    label: str
    value: float
    text: str  # shown after the bar (the number, formatted)
    inner: float | None = None
    tone: str = "main"


@dataclass(frozen=True)
class Column:
    """One group of a column chart: a value per series."""

    label: str
    values: tuple[float, ...]


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _clip(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _tone(tone: str) -> str:
    if not _ID.fullmatch(tone):
        raise ValueError(f"not a tone: {tone!r}")
    return tone


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> list[str]:
    if not _ID.fullmatch(chart_id):
        raise ValueError(f"not a chart id: {chart_id!r}")
    return [
        f'<svg class="chart" id="{chart_id}" role="img" aria-labelledby="{chart_id}-title '
        f'{chart_id}-desc" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def _legend(legend: Sequence[tuple[str, str]], y: float) -> list[str]:
    parts, x = [], LABEL_WIDTH
    for tone, name in legend:
        parts.append(
            f'<rect class="tone-{_tone(tone)}" x="{x}" y="{_num(y - 10)}" width="12" height="12"/>'
        )
        parts.append(f'<text class="chart-note" x="{x + 16}" y="{_num(y)}">{escape(name)}</text>')
        x += 28 + 7 * len(name)
    return parts


def bar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    bars: Sequence[Bar],
    maximum: float | None = None,
    inner_tone: str = "inner",
    legend: Sequence[tuple[str, str]] = (),
) -> Markup:
    """Horizontal bars scaled to `maximum` (the largest value if not given), one per row,
    each labelled on the left (long labels shortened, in full as a tooltip) and with its
    `text` on the right."""
    top = 24 if legend else 4
    height = top + ROW * max(len(bars), 1) + 4
    scale_to = maximum if maximum and maximum > 0 else max((b.value for b in bars), default=0)
    span = WIDTH - LABEL_WIDTH - TEXT_WIDTH
    parts = _open(chart_id, title, desc, WIDTH, height)
    parts += _legend(legend, 14)
    for i, bar in enumerate(bars):
        y = top + i * ROW
        middle = y + ROW / 2
        length = span * bar.value / scale_to if scale_to else 0
        label = escape(bar.label)
        parts.append('<g class="chart-row">')
        parts.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{_num(middle + 4)}" '
            f'text-anchor="end">{escape(_clip(bar.label))}<title>{label}</title></text>'
        )
        parts.append(
            f'<rect class="tone-{_tone(bar.tone)}" x="{LABEL_WIDTH}" '
            f'y="{_num(middle - BAR / 2)}" width="{_num(max(length, 0))}" height="{BAR}"/>'
        )
        if bar.inner is not None:
            inner = span * bar.inner / scale_to if scale_to else 0
            parts.append(
                f'<rect class="tone-{_tone(inner_tone)}" x="{LABEL_WIDTH}" '
                f'y="{_num(middle - INNER / 2)}" width="{_num(max(inner, 0))}" '
                f'height="{INNER}"/>'
            )
        parts.append(
            f'<text class="chart-value" x="{_num(LABEL_WIDTH + max(length, 0) + 6)}" '
            f'y="{_num(middle + 4)}">{escape(bar.text)}</text>'
        )
        parts.append("</g>")
    if not bars:
        parts.append(f'<text class="chart-note" x="{LABEL_WIDTH}" y="20">No data</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def column_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    columns: Sequence[Column],
    series: Sequence[tuple[str, str]],
    height: int = 240,
) -> Markup:
    """Groups of vertical bars, one bar per series (tone, name) in each group, on a shared
    scale from zero, with a legend, the scale's top value and every group's label (thinned
    out when there are many)."""
    left, right, top, bottom = 44, WIDTH - 8, 28, height - 24
    plot_height = bottom - top
    peak = max((v for c in columns for v in c.values), default=0)
    slot = (right - left) / max(len(columns), 1)
    gap = slot * 0.2
    bar_width = (slot - gap) / max(len(series), 1)
    every = max(1, -(-len(columns) * 48 // (right - left)))  # about 48px per label
    parts = _open(chart_id, title, desc, WIDTH, height)
    parts += _legend(series, 14)
    parts.append(f'<line class="chart-axis" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>')
    if peak:
        parts.append(
            f'<line class="chart-grid" x1="{left}" y1="{top}" x2="{right}" y2="{top}"/>'
            f'<text class="chart-note" x="{left - 6}" y="{top + 4}" text-anchor="end">'
            f"{_num(peak)}</text>"
        )
    parts.append(
        f'<text class="chart-note" x="{left - 6}" y="{bottom + 4}" text-anchor="end">0</text>'
    )
    for i, column in enumerate(columns):
        x0 = left + i * slot + gap / 2
        parts.append('<g class="chart-column">')
        for j, (tone, name) in enumerate(series):
            value = column.values[j] if j < len(column.values) else 0
            bar_height = plot_height * value / peak if peak else 0
            parts.append(
                f'<rect class="tone-{_tone(tone)}" x="{_num(x0 + j * bar_width)}" '
                f'y="{_num(bottom - bar_height)}" width="{_num(bar_width)}" '
                f'height="{_num(bar_height)}"><title>{escape(column.label)}: '
                f"{escape(name)} {_num(value)}</title></rect>"
            )
        if i % every == 0:
            parts.append(
                f'<text class="chart-note" x="{_num(x0 + (slot - gap) / 2)}" '
                f'y="{bottom + 16}" text-anchor="middle">{escape(column.label)}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))
