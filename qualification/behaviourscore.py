"""Behaviour and decay items: what the lead did, and how long ago (see `qualification.scoring`).

Events score in chronological order (ties broken by ref), so a per-kind cap always lets the
earliest events count and re-scoring the same events gives the same items.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from qualification.rules import RuleSet
from qualification.ruletables import EventRule
from qualification.scorefacts import EventFacts, LeadFacts, ScoreItem, as_utc, signed
from qualification.stages import EventKind

EVENT_LABELS = {
    EventKind.VISIT: "Visit",
    EventKind.CONTENT_DOWNLOAD: "Content download",
    EventKind.DEMO_REQUEST: "Demo request",
    EventKind.EMAIL_OPEN: "Email opened",
    EventKind.EMAIL_CLICK: "Email link clicked",
    EventKind.UNSUBSCRIBE: "Unsubscribed",
    EventKind.BOUNCE: "Email bounced",
}


def chronological(events: Sequence[EventFacts]) -> list[EventFacts]:
    return sorted(events, key=lambda event: (as_utc(event.occurred_at), event.ref))


def behaviour_items(rules: RuleSet, events: Sequence[EventFacts]) -> list[ScoreItem]:
    """One item per event that earns (or costs) points, respecting per-kind caps."""
    totals: dict[EventKind, int] = {}
    items: list[ScoreItem] = []
    scoring: dict[EventKind, tuple[EventRule, str] | None] = {}  # rule and rule id, per kind
    for event in chronological(events):
        kind = event.kind
        if kind in scoring:
            found = scoring[kind]
        else:
            rule = rules.behaviour.rule_for(kind)
            scoring[kind] = found = (
                None if rule is None or rule.points == 0 else (rule, f"behaviour.{kind.value}")
            )
        if found is None:
            continue
        rule, rule_id = found
        points, suffix = rule.points, ""
        if rule.cap is not None:
            room = rule.cap - abs(totals.get(event.kind, 0))
            if room <= 0:
                continue
            if abs(points) > room:
                points = room if points > 0 else -room
                suffix = f", cap of {rule.cap} reached"
        totals[kind] = totals.get(kind, 0) + points
        asset = f" '{event.asset}'" if event.asset else ""
        day = as_utc(event.occurred_at).date().isoformat()
        items.append(
            ScoreItem(
                rule_id=rule_id,
                category="behaviour",
                points=points,
                cause_kind="event",
                cause_ref=event.ref,
                note=f"{EVENT_LABELS[kind]}{asset} on {day} ({signed(points)}{suffix})",
            )
        )
    return items


def decay_item(
    rules: RuleSet, lead: LeadFacts, events: Sequence[EventFacts], now: datetime
) -> ScoreItem | None:
    """Points lost for inactivity since the latest event (or the lead's creation), as of `now`."""
    decay = rules.decay
    if decay is None:
        return None
    moments = [as_utc(event.occurred_at) for event in events]
    if not moments and lead.created_at is not None:
        moments = [as_utc(lead.created_at)]
    if not moments:
        return None
    since = max(moments)
    idle_days = (as_utc(now) - since).days
    periods = max(0, idle_days - decay.grace_days) // decay.every_days
    if periods == 0:
        return None
    points = periods * decay.points
    suffix = ""
    if decay.cap is not None and -points > decay.cap:
        points, suffix = -decay.cap, f", capped at {decay.cap}"
    what = "the latest activity" if events else "the lead was created"
    note = (
        f"No activity for {idle_days} days since {what} on {since.date().isoformat()}: "
        f"{periods} x {decay.every_days} days after a {decay.grace_days}-day grace "
        f"({signed(points)}{suffix})"
    )
    return ScoreItem(
        rule_id="decay.inactivity",
        category="decay",
        points=points,
        cause_kind="decay",
        cause_ref=None,
        note=note,
    )
