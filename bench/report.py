"""Figures beside their goals, printed as one table."""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass
class Figure:
    """One measured figure; `met` is None when the figure has no goal."""

    name: str
    value: str
    goal: str = ""
    ratio: float | None = None
    met: bool | None = None
    note: str = ""


def out(line: str = "") -> None:
    """Write one line to stdout now (the benchmarks print progress as they go)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile of `values` (0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered) + 0.499999))
    return ordered[min(rank, len(ordered)) - 1]


def table(figures: list[Figure]) -> str:
    """The figures as a Markdown table (also readable in a terminal)."""
    rows = [("figure", "goal", "value", "ratio", "goal met")]
    for f in figures:
        ratio = "" if f.ratio is None else f"{f.ratio:.2f}"
        met = "" if f.met is None else ("met" if f.met else "NOT met")
        rows.append((f.name, f.goal, f.value, ratio, met))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    notes = [f"- {f.name}: {f.note}" for f in figures if f.note]
    return "\n".join(lines + ([""] + notes if notes else []))
