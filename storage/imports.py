"""CSV imports of leads and behaviour events, in one transaction, shared by the API and the CLI.

Every row is checked first. If any is rejected nothing is written, unless the caller asked to
skip invalid rows. Rows are written in batches and each touched lead is re-scored once at the
end of the file, so a large file costs one re-score per lead rather than one per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlmodel import Session, col, select

from qualification.csvrows import (
    EventRow,
    LeadRow,
    RejectedRow,
    check_events_csv,
    check_leads_csv,
)
from qualification.lifecycle import Actor
from qualification.parsers.seniority import parse_seniority
from qualification.rules import RuleSet
from storage.ledger import rescore_lead
from storage.models import BehaviourEvent, Lead
from storage.outbox import EVENT, enqueue

BATCH = 500  # rows per flush and emails or keys per look-up


class ImportKind(StrEnum):
    LEADS = "leads"
    EVENTS = "events"


class Progress(Protocol):
    """Told how far an import is: a phase starts with its total, then advances."""

    def start(self, phase: str, total: int) -> None: ...

    def advance(self, steps: int) -> None: ...


class _Silent:
    def start(self, phase: str, total: int) -> None:
        pass

    def advance(self, steps: int) -> None:
        pass


@dataclass
class ImportReport:
    """What an import did, and every rejected row with its line number and reasons."""

    kind: ImportKind
    rows: int
    rejected: list[RejectedRow]
    applied: bool = False
    leads_created: int = 0
    leads_updated: int = 0
    events_created: int = 0
    events_duplicate: int = 0
    leads_scored: int = 0
    lines_imported: list[int] = field(default_factory=list, repr=False)

    @property
    def imported(self) -> int:
        return len(self.lines_imported)


def import_csv(
    *,
    session: Session,
    data: bytes,
    kind: ImportKind,
    rules: RuleSet,
    now: datetime,
    actor: Actor,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check and import a leads or events file in the caller's transaction.

    Raises InvalidInput for a file that cannot be read at all (encoding, columns). With rejected
    rows and without `skip_invalid`, returns a report with applied=False and writes nothing.
    """
    bar = progress or _Silent()
    touched: list[Lead] = []
    if kind is ImportKind.LEADS:
        leads_csv = check_leads_csv(data)
        report = ImportReport(kind=kind, rows=leads_csv.total, rejected=leads_csv.rejected)
        if leads_csv.rejected and not skip_invalid:
            return report
        touched = _apply_leads(session, leads_csv.rows, report, actor, bar, now)
    else:
        events_csv = check_events_csv(data, now=now)
        report = ImportReport(kind=kind, rows=events_csv.total, rejected=events_csv.rejected)
        if events_csv.rejected and not skip_invalid:
            return report
        touched = _apply_events(session, events_csv.rows, report, actor, bar)
    bar.start("scoring leads", len(touched))
    for lead in sorted(touched, key=lambda lead: lead.id or 0):
        rescore_lead(
            session=session, lead=lead, rules=rules, now=now, actor=Actor.system("scoring")
        )
        bar.advance(1)
    report.leads_scored = len(touched)
    report.applied = True
    return report


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def _existing_leads(session: Session, emails: Iterable[str]) -> dict[str, Lead]:
    wanted = sorted(set(emails))
    found: dict[str, Lead] = {}
    for chunk in _chunks(wanted):
        for lead in session.exec(select(Lead).where(col(Lead.email).in_(chunk))).all():
            found[lead.email or ""] = lead
    return found


def _new_leads(session: Session, leads: list[Lead], actor: Actor) -> None:
    """Insert new leads and announce each, as creating one lead at a time would."""
    session.add_all(leads)
    session.flush()
    for lead in leads:
        enqueue(
            session=session,
            kind=EVENT,
            topic="lead.created",
            payload={"lead_id": lead.id, "actor": str(actor)},
        )


def _apply_leads(
    session: Session,
    rows: list[LeadRow],
    report: ImportReport,
    actor: Actor,
    bar: Progress,
    now: datetime,
) -> list[Lead]:
    leads = _existing_leads(session, (row.email for row in rows))
    touched: dict[str, Lead] = {}
    pending: list[Lead] = []
    created: set[str] = set()
    bar.start("importing leads", len(rows))
    for row in rows:
        values = dict(row.values)
        if values.get("title") and "seniority" not in values:
            found = parse_seniority(str(values["title"]))
            values["seniority"] = found.value if found else None
        lead = leads.get(row.email)
        if lead is None:
            lead = Lead(email=row.email, **values)
            leads[row.email] = lead
            pending.append(lead)
            created.add(row.email)
        else:
            for name, value in values.items():
                setattr(lead, name, value)
            lead.updated_at = now
            session.add(lead)
        touched[row.email] = lead
        report.lines_imported.append(row.line)
        if len(pending) >= BATCH:
            _new_leads(session, pending, actor)
            pending = []
        bar.advance(1)
    _new_leads(session, pending, actor)
    report.leads_created = len(created)
    report.leads_updated = len(touched) - len(created)
    return list(touched.values())


def _seen_keys(session: Session, keys: Iterable[str]) -> set[str]:
    wanted = sorted(set(keys))
    seen: set[str] = set()
    for chunk in _chunks(wanted):
        query = select(BehaviourEvent.idempotency_key).where(
            col(BehaviourEvent.idempotency_key).in_(chunk)
        )
        seen.update(key for key in session.exec(query).all() if key)
    return seen


def _apply_events(
    session: Session, rows: list[EventRow], report: ImportReport, actor: Actor, bar: Progress
) -> list[Lead]:
    leads = _existing_leads(session, (row.email for row in rows))
    unknown = sorted({row.email for row in rows} - set(leads))
    for chunk in _chunks(unknown):
        fresh = [Lead(email=email) for email in chunk]
        _new_leads(session, fresh, actor)
        leads.update((lead.email or "", lead) for lead in fresh)
    report.leads_created = len(unknown)
    seen = _seen_keys(session, (row.idempotency_key for row in rows if row.idempotency_key))
    touched: dict[int, Lead] = {}
    bar.start("importing events", len(rows))
    for count, row in enumerate(rows, start=1):
        lead = leads[row.email]
        report.lines_imported.append(row.line)
        bar.advance(1)
        if row.idempotency_key is not None and row.idempotency_key in seen:
            report.events_duplicate += 1
            continue
        if row.idempotency_key is not None:
            seen.add(row.idempotency_key)
        session.add(
            BehaviourEvent(
                lead_id=lead.id or 0,
                kind=row.kind,
                occurred_at=row.occurred_at,
                asset=row.asset,
                url=row.url,
                idempotency_key=row.idempotency_key,
            )
        )
        report.events_created += 1
        if lead.last_activity_at is None or row.occurred_at > lead.last_activity_at:
            lead.last_activity_at = row.occurred_at
            session.add(lead)
        touched[lead.id or 0] = lead
        if count % BATCH == 0:
            session.flush()
    session.flush()
    for email in unknown:  # new leads get their first (fit) score even without a new event
        touched.setdefault(leads[email].id or 0, leads[email])
    return list(touched.values())
