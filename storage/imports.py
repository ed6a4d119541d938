"""CSV imports of leads and behaviour events, in one transaction, shared by the API and the CLI.

Every row is checked first. If any is rejected nothing is written, unless the caller asked to
skip invalid rows. Then the whole file is applied as a set: leads and events are written with
executemany (storage.import_leads, storage.import_events) and every touched lead is re-scored
once, in bulk (storage.bulk_scoring). The rows written are the ones that applying the file row
by row and re-scoring each touched lead with `storage.ledger.rescore_lead` would write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session

from qualification.csvrows import RejectedRow, check_events_csv, check_leads_csv, line_count
from qualification.lifecycle import Actor
from qualification.rules import RuleSet
from storage.bulk_inputs import FreshEvents
from storage.bulk_rows import big_page_cache, paused_gc
from storage.bulk_scoring import rescore_leads
from storage.import_events import apply_events
from storage.import_leads import apply_leads
from storage.progress import Progress, Silent

__all__ = ["ImportKind", "ImportReport", "Progress", "import_csv"]


class ImportKind(StrEnum):
    LEADS = "leads"
    EVENTS = "events"


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
    with paused_gc():
        return _import(
            session=session,
            data=data,
            kind=kind,
            rules=rules,
            now=now,
            actor=actor,
            skip_invalid=skip_invalid,
            bar=progress or Silent(),
        )


def _import(
    *,
    session: Session,
    data: bytes,
    kind: ImportKind,
    rules: RuleSet,
    now: datetime,
    actor: Actor,
    skip_invalid: bool,
    bar: Progress,
) -> ImportReport:
    bar.start("checking rows", line_count(data))
    if kind is ImportKind.LEADS:
        leads_csv = check_leads_csv(data, progress=bar.advance)
        report = ImportReport(kind=kind, rows=leads_csv.total, rejected=leads_csv.rejected)
        if leads_csv.rejected and not skip_invalid:
            return report
        with big_page_cache(session):
            leads = apply_leads(session=session, rows=leads_csv.rows, actor=actor, now=now, bar=bar)
            report.leads_created, report.leads_updated = leads.created, leads.updated
            report.leads_scored = _rescore(session, leads.touched, None, rules, now, bar)
        report.lines_imported = [row.line for row in leads_csv.rows]
    else:
        events_csv = check_events_csv(data, now=now, progress=bar.advance)
        report = ImportReport(kind=kind, rows=events_csv.total, rejected=events_csv.rejected)
        if events_csv.rejected and not skip_invalid:
            return report
        with big_page_cache(session):
            events = apply_events(session=session, rows=events_csv.rows, actor=actor, bar=bar)
            report.events_created, report.events_duplicate = events.created, events.duplicate
            report.leads_created = events.leads_created
            report.leads_scored = _rescore(session, events.touched, events.fresh, rules, now, bar)
        report.lines_imported = [row.line for row in events_csv.rows]
    report.applied = True
    return report


def _rescore(
    session: Session,
    touched: list[int],
    fresh: FreshEvents | None,
    rules: RuleSet,
    now: datetime,
    bar: Progress,
) -> int:
    """Re-score the touched leads as the system's scoring does after any change; how many."""
    totals = rescore_leads(
        session=session,
        lead_ids=touched,
        rules=rules,
        now=now,
        actor=Actor.system("scoring"),
        fresh=fresh,
        progress=bar,
    )
    return totals.seen
