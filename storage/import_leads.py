"""Applying checked rows of a leads file: create leads by email, or fill in the given fields."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from qualification.csvrows import LeadRow
from qualification.lifecycle import Actor
from qualification.parsers.seniority import parse_seniority
from storage.bulk_rows import BulkRows, table
from storage.lead_rows import insert_new_leads, leads_by_email
from storage.models import Lead
from storage.progress import Progress


@dataclass
class AppliedLeads:
    touched: list[int] = field(default_factory=list)  # every lead a row named, by id
    created: int = 0
    updated: int = 0


def apply_leads(
    *, session: Session, rows: Sequence[LeadRow], actor: Actor, now: datetime, bar: Progress
) -> AppliedLeads:
    """Rows in file order: a new email creates a lead with the filled-in cells, a known one
    (or a repeat in the file) sets those cells; the seniority follows a given title."""
    db = BulkRows(session)
    known = leads_by_email(db, [row.email for row in rows])
    new: dict[str, dict[str, Any]] = {}
    changed: dict[str, dict[str, Any]] = {}
    seniority: dict[str, str | None] = {}
    for row in rows:
        values = dict(row.values)
        title = values.get("title")
        if title and "seniority" not in values:
            if title not in seniority:
                found = parse_seniority(str(title))
                seniority[title] = found.value if found else None
            values["seniority"] = seniority[title]
        target = changed if row.email in known else new
        target.setdefault(row.email, {}).update(values)
    bar.start("importing leads", len(new) + len(changed))
    ids = insert_new_leads(
        db, [{"email": email, **values} for email, values in new.items()], actor=actor
    )
    bar.advance(len(new))
    _update(db, {known[email].id: values for email, values in changed.items()}, now)
    bar.advance(len(changed))
    touched = [known[email].id for email in changed] + list(ids)
    return AppliedLeads(touched=touched, created=len(new), updated=len(changed))


def _update(db: BulkRows, changes: dict[int, dict[str, Any]], now: datetime) -> None:
    """Set the given fields (and updated_at) of known leads: one executemany per set of fields."""
    by_fields: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    moment = db.moment(now)
    for lead_id, values in changes.items():
        names = tuple(values)
        by_fields.setdefault(names, []).append((*values.values(), moment, lead_id))
    for names, rows in by_fields.items():
        db.update(table(Lead), (*names, "updated_at"), rows)
