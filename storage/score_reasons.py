"""A lead's biggest score reasons, as the Slack cards (hot lead, handoff request) list them."""

from __future__ import annotations

import re

from sqlmodel import Session, col, select

from storage.models import ScoreEntry

TOP_REASONS = 3
# A ledger note may end with its own points, e.g. "VP of Sales (+15)"; the line adds the sum.
_TRAILING_POINTS = re.compile(r"\s*\([+\-−]?\d+\)\s*$")


def reason_line(note: str, points: int) -> str:
    """`note` with the points of all its rule's entries, instead of any it carried itself."""
    return f"{_TRAILING_POINTS.sub('', note)} (+{points})"


def top_reasons(*, session: Session, lead_id: int, limit: int = TOP_REASONS) -> tuple[str, ...]:
    """The rules that added the most points to the lead, biggest first (ties: the rule that
    scored first), each with its latest note and the sum of its entries."""
    entries = session.exec(
        select(ScoreEntry).where(ScoreEntry.lead_id == lead_id).order_by(col(ScoreEntry.id))
    ).all()
    by_rule: dict[str, tuple[int, str]] = {}
    for entry in entries:
        points, note = by_rule.get(entry.rule_id, (0, ""))
        by_rule[entry.rule_id] = (points + entry.points, entry.note or note or entry.rule_id)
    positive = sorted((pn for pn in by_rule.values() if pn[0] > 0), key=lambda pn: -pn[0])
    return tuple(reason_line(note, points) for points, note in positive[:limit])
