"""Applying checked rows of a behaviour events file: store each event once per idempotency key,
creating the leads of unknown emails, and note each lead's latest activity."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from qualification.csvrows import EventRow
from qualification.lifecycle import Actor
from qualification.scoring import EventFacts
from qualification.stages import EventKind
from storage.bulk_inputs import FreshEvents
from storage.bulk_rows import CHUNK, BulkRows, table
from storage.lead_rows import insert_new_leads, leads_by_email
from storage.models import BehaviourEvent, Lead, utcnow
from storage.progress import Progress

_KIND_TEXT = {kind: kind.value for kind in EventKind}
_EVENT_COLUMNS = ("id", "lead_id", "kind", "asset", "url", "occurred_at", "idempotency_key",
                  "properties", "created_at")  # fmt: skip


@dataclass
class AppliedEvents:
    touched: list[int] = field(default_factory=list)  # leads with a new event, and new leads
    fresh: FreshEvents = field(default_factory=lambda: FreshEvents(by_lead={}, ids=set()))
    created: int = 0
    duplicate: int = 0
    leads_created: int = 0


def apply_events(
    *, session: Session, rows: Sequence[EventRow], actor: Actor, bar: Progress
) -> AppliedEvents:
    """Rows in file order; a key already stored, or seen earlier in the file, is a duplicate."""
    db = BulkRows(session)
    known = leads_by_email(db, [row.email for row in rows])
    unknown = sorted({row.email for row in rows} - set(known))
    new_ids = db.reserve_ids(table(Lead), len(unknown))
    lead_ids = {email: lead.id for email, lead in known.items()}
    lead_ids.update(zip(unknown, new_ids, strict=True))
    keys = [row.idempotency_key for row in rows if row.idempotency_key is not None]
    seen = {key for (key,) in db.select_in(
        "SELECT idempotency_key FROM behaviour_events WHERE idempotency_key", keys)}  # fmt: skip
    fresh = [row for row in rows if _first(row.idempotency_key, seen)]
    applied = AppliedEvents(
        created=len(fresh), duplicate=len(rows) - len(fresh), leads_created=len(unknown)
    )
    bar.start("importing events", len(fresh))
    # Each lead's latest activity first: the new leads are inserted with theirs.
    latest = {lead.id: lead.last_activity_at for lead in known.values()}
    touched: dict[int, None] = {}
    for row in fresh:
        lead_id = lead_ids[row.email]
        last = latest.get(lead_id)
        if last is None or row.occurred_at > last:
            latest[lead_id] = row.occurred_at
        touched[lead_id] = None
    new_leads = [{"email": email, "last_activity_at": latest.get(lead_ids[email])}
                 for email in unknown]  # fmt: skip
    insert_new_leads(db, new_leads, actor=actor, ids=new_ids)
    event_ids = db.reserve_ids(table(BehaviourEvent), len(fresh))
    for start in range(0, len(fresh), CHUNK):
        part = zip(event_ids[start : start + CHUNK], fresh[start : start + CHUNK], strict=True)
        db.insert(table(BehaviourEvent), _EVENT_COLUMNS, _stored(db, part, lead_ids, applied))
        bar.advance(min(CHUNK, len(fresh) - start))
    db.update(
        table(Lead),
        ("last_activity_at",),
        [(db.moment(latest[lead.id]), lead.id) for lead in known.values()
         if latest[lead.id] != lead.last_activity_at],
    )  # fmt: skip
    touched.update((lead_ids[email], None) for email in unknown)
    applied.touched = list(touched)
    applied.fresh.ids.update(event_ids)
    applied.fresh.first_id = min(event_ids, default=0)
    return applied


def _stored(
    db: BulkRows,
    part: Iterable[tuple[int, EventRow]],
    lead_ids: dict[str, int],
    applied: AppliedEvents,
) -> list[tuple[Any, ...]]:
    """Events as stored rows; each is also kept as scoring facts in `applied.fresh`."""
    created, moment, by_lead = db.moment(utcnow()), db.moment, applied.fresh.by_lead
    values = []
    for event_id, row in part:
        lead_id = lead_ids[row.email]
        values.append((event_id, lead_id, _KIND_TEXT[row.kind], row.asset, row.url,
                       moment(row.occurred_at), row.idempotency_key, "{}", created))  # fmt: skip
        facts = EventFacts(
            kind=row.kind, occurred_at=row.occurred_at, ref=f"event:{event_id}", asset=row.asset
        )
        bucket = by_lead.get(lead_id)
        if bucket is None:
            by_lead[lead_id] = [facts]
        else:
            bucket.append(facts)
    return values


def _first(key: str | None, seen: set[str]) -> bool:
    """Whether an event with this key is new (and remember the key)."""
    if key is None:
        return True
    if key in seen:
        return False
    seen.add(key)
    return True
