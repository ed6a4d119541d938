"""The SVG chart helpers: escaped text, accessible names, bars to scale."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from bot.dashboard.charts import LABEL_CHARS, Bar, Column, bar_chart, column_chart

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '</text><script>alert(1)</script><a href="javascript:x">&amp;'


def _parse(markup: str) -> ET.Element:
    """The chart as XML: it must be well-formed whatever text went in."""
    return ET.fromstring(str(markup))


def test_bars_are_to_scale_with_escaped_labels_and_an_accessible_name() -> None:
    chart = bar_chart(
        chart_id="sources",
        title="Conversion <by> source",
        desc="Share & count",
        bars=[
            Bar(label=HOSTILE, value=4, text="4 <b>", inner=1),
            Bar(label="seo", value=2, text="2", tone="sal"),
            Bar(label="none", value=0, text="0"),
        ],
    )
    root = _parse(chart)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "sources-title sources-desc"
    assert root.find(f"{SVG}title").text == "Conversion <by> source"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == "Share & count"  # type: ignore[union-attr]
    assert "<script" not in chart and "<a " not in chart
    labels = root.findall(f".//{SVG}text[@class='chart-label']")
    assert labels[0].text == HOSTILE[: LABEL_CHARS - 1] + "…"
    assert labels[0].find(f"{SVG}title").text == HOSTILE  # type: ignore[union-attr]
    widths = [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] > 0 and widths[1] == pytest.approx(widths[0] / 4)  # the inner bar
    assert widths[2] == pytest.approx(widths[0] / 2) and widths[3] == 0
    assert [r.get("class") for r in root.iter(f"{SVG}rect")] == [
        "tone-main",
        "tone-inner",
        "tone-sal",
        "tone-main",
    ]
    assert [t.text for t in root.findall(f".//{SVG}text[@class='chart-value']")] == [
        "4 <b>",
        "2",
        "0",
    ]
    assert " style=" not in chart


def test_an_empty_chart_says_so_and_bad_ids_or_tones_are_refused() -> None:
    empty = bar_chart(chart_id="empty", title="Nothing", desc="No rows", bars=[])
    assert "No data" in empty and _parse(empty).get("height")
    with pytest.raises(ValueError, match="chart id"):
        bar_chart(chart_id='x" onload="alert(1)', title="t", desc="d", bars=[])
    with pytest.raises(ValueError, match="tone"):
        bar_chart(chart_id="x", title="t", desc="d", bars=[Bar("a", 1, "1", tone="a b")])


def test_columns_share_one_scale_and_label_every_group() -> None:
    chart = column_chart(
        chart_id="weeks",
        title="Weeks",
        desc="MQL and SQL per week",
        columns=[Column("W01", (4, 1)), Column("W02 <x>", (2, 0))],
        series=(("mql", "MQL"), ("sql", "SQL")),
    )
    root = _parse(chart)
    heights = [float(r.get("height", "0")) for r in root.iter(f"{SVG}rect")][2:]  # legend first
    assert heights[0] > 0 and heights[1] == pytest.approx(heights[0] / 4)
    assert heights[2] == pytest.approx(heights[0] / 2) and heights[3] == 0
    notes = [t.text for t in root.findall(f".//{SVG}text[@class='chart-note']")]
    assert "W01" in notes and "W02 <x>" in notes and "4" in notes
    assert re.search(r"<title>W02 &lt;x&gt;: MQL 2</title>", chart)
