"""Leads found and created by the thousand, for imports: look-up by email, and new leads
inserted with the `lead.created` event that creating each one announces."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from qualification.lifecycle import Actor
from storage.bulk_rows import OUTBOX_COLUMNS, BulkRows, model_defaults, outbox_row, table
from storage.models import Lead, OutboxItem, utcnow
from storage.outbox import EVENT

LEAD_COLUMNS = tuple(column.name for column in table(Lead).columns)
_LEAD_DEFAULTS = model_defaults(Lead)


@dataclass(slots=True)
class KnownLead:
    id: int
    last_activity_at: datetime | None


def leads_by_email(rows: BulkRows, emails: Sequence[str]) -> dict[str, KnownLead]:
    """The stored leads with these (normalised) emails."""
    found = rows.select_in(
        "SELECT email, id, last_activity_at FROM leads WHERE email", sorted(set(emails))
    )
    return {
        email: KnownLead(id=lead_id, last_activity_at=rows.read_moment(last))
        for email, lead_id, last in found
    }


def insert_new_leads(
    rows: BulkRows,
    leads: Sequence[dict[str, Any]],
    *,
    actor: Actor,
    ids: Sequence[int] | None = None,
) -> Sequence[int]:
    """Insert leads given as column values (the rest take the model's defaults), in order, and
    queue a `lead.created` event for each, as `storage.leads.create_lead` does; their ids
    (`ids` when the caller reserved them already)."""
    if ids is None:
        ids = rows.reserve_ids(table(Lead), len(leads))
    now = rows.moment(utcnow())
    defaults = {name: _stored(rows, value) for name, value in _LEAD_DEFAULTS.items()}
    defaults.update(created_at=now, updated_at=now)
    values = []
    for lead_id, given in zip(ids, leads, strict=True):
        row = defaults.copy()
        for name, value in given.items():
            row[name] = _stored(rows, value)
        row["id"] = lead_id
        values.append(tuple(row[column] for column in LEAD_COLUMNS))
    rows.insert(table(Lead), LEAD_COLUMNS, values)
    outbox_ids = rows.reserve_ids(table(OutboxItem), len(ids))
    label = str(actor)
    rows.insert(
        table(OutboxItem),
        OUTBOX_COLUMNS,
        [
            outbox_row(rows, item_id, kind=EVENT, topic="lead.created",
                       payload={"lead_id": lead_id, "actor": label}, stored_at=now)
            for item_id, lead_id in zip(outbox_ids, ids, strict=True)
        ],
    )  # fmt: skip
    return ids


def _stored(rows: BulkRows, value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, datetime):
        return rows.moment(value)
    return value
