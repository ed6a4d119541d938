"""The reference for bulk imports and re-scoring: the row-by-row way, through the ORM.

Rows are applied one at a time and every touched lead is re-scored with
`storage.ledger.rescore_lead`, the function each chat turn uses. The bulk path
(storage.imports, storage.bulk_scoring) must leave the database exactly as this does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from qualification.csvrows import EventRow, LeadRow, check_events_csv, check_leads_csv
from qualification.lifecycle import Actor
from qualification.parsers.seniority import parse_seniority
from qualification.rules import RuleSet
from storage.imports import ImportKind, ImportReport
from storage.ledger import rescore_lead
from storage.models import BehaviourEvent, Lead
from storage.outbox import EVENT, enqueue

BATCH = 500


def import_row_by_row(
    *,
    session: Session,
    data: bytes,
    kind: ImportKind,
    rules: RuleSet,
    now: datetime,
    actor: Actor,
    skip_invalid: bool = False,
) -> ImportReport:
    touched: list[Lead] = []
    if kind is ImportKind.LEADS:
        leads_csv = check_leads_csv(data)
        report = ImportReport(kind=kind, rows=leads_csv.total, rejected=leads_csv.rejected)
        if leads_csv.rejected and not skip_invalid:
            return report
        touched = _apply_leads(session, leads_csv.rows, report, actor, now)
    else:
        events_csv = check_events_csv(data, now=now)
        report = ImportReport(kind=kind, rows=events_csv.total, rejected=events_csv.rejected)
        if events_csv.rejected and not skip_invalid:
            return report
        touched = _apply_events(session, events_csv.rows, report, actor)
    for lead in sorted(touched, key=lambda lead: lead.id or 0):
        rescore_lead(
            session=session, lead=lead, rules=rules, now=now, actor=Actor.system("scoring")
        )
    report.leads_scored = len(touched)
    report.applied = True
    return report


def rescore_each(*, session: Session, rules: RuleSet, now: datetime, actor: Actor) -> int:
    """Every lead re-scored on its own, in id order; how many leads' ledgers changed."""
    leads = session.exec(select(Lead).order_by(col(Lead.id))).all()
    return sum(
        bool(rescore_lead(session=session, lead=lead, rules=rules, now=now, actor=actor))
        for lead in leads
    )


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def _existing_leads(session: Session, emails: Iterable[str]) -> dict[str, Lead]:
    found: dict[str, Lead] = {}
    for chunk in _chunks(sorted(set(emails))):
        for lead in session.exec(select(Lead).where(col(Lead.email).in_(chunk))).all():
            found[lead.email or ""] = lead
    return found


def _new_leads(session: Session, leads: list[Lead], actor: Actor) -> None:
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
    session: Session, rows: list[LeadRow], report: ImportReport, actor: Actor, now: datetime
) -> list[Lead]:
    leads = _existing_leads(session, (row.email for row in rows))
    touched: dict[str, Lead] = {}
    pending: list[Lead] = []
    created: set[str] = set()
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
    _new_leads(session, pending, actor)
    report.leads_created = len(created)
    report.leads_updated = len(touched) - len(created)
    return list(touched.values())


def _apply_events(
    session: Session, rows: list[EventRow], report: ImportReport, actor: Actor
) -> list[Lead]:
    leads = _existing_leads(session, (row.email for row in rows))
    unknown = sorted({row.email for row in rows} - set(leads))
    for chunk in _chunks(unknown):
        fresh = [Lead(email=email) for email in chunk]
        _new_leads(session, fresh, actor)
        leads.update((lead.email or "", lead) for lead in fresh)
    report.leads_created = len(unknown)
    seen: set[str] = set()
    keys = sorted({row.idempotency_key for row in rows if row.idempotency_key})
    for chunk in _chunks(keys):
        query = select(BehaviourEvent.idempotency_key).where(
            col(BehaviourEvent.idempotency_key).in_(chunk)
        )
        seen.update(key for key in session.exec(query).all() if key)
    touched: dict[int, Lead] = {}
    for count, row in enumerate(rows, start=1):
        lead = leads[row.email]
        report.lines_imported.append(row.line)
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
    for email in unknown:
        touched.setdefault(leads[email].id or 0, leads[email])
    return list(touched.values())
