"""What re-scoring reads, for many leads at once: one query per table and chunk of leads.

Each loader returns, per lead id, what `storage.ledger.rescore_lead` reads for one lead (its
row, current answers, behaviour events and ledger), as the pure scoring layer sees it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

from qualification.parsers.serialize import result_from_json
from qualification.scoring import AnswerFacts, EventFacts, LeadFacts, LedgerLine
from qualification.stages import Dimension, EventKind, Stage
from storage.bulk_rows import BulkRows

_KINDS = {kind.value: kind for kind in EventKind}
_STAGES = {stage.value: stage for stage in Stage}
_DIMENSIONS = {dimension.value: dimension for dimension in Dimension}


@dataclass(slots=True)
class LeadState:
    """A lead's row as re-scoring reads it."""

    id: int
    stage: Stage
    score: int
    rules_version: str | None
    facts: LeadFacts


@dataclass
class ScoringInputs:
    """Everything re-scoring reads for a chunk of leads, by lead id."""

    leads: list[LeadState]
    answers: dict[int, list[AnswerFacts]]
    events: dict[int, list[EventFacts]]
    ledger: dict[int, list[LedgerLine]]


@dataclass
class FreshEvents:
    """Events the caller stored earlier in this transaction, already as facts, by lead."""

    by_lead: dict[int, list[EventFacts]]
    ids: set[int]
    first_id: int = 0  # the smallest of `ids`


# Stored events by lead id, as read: (lead id, id, kind, occurred_at, asset).
ScannedEvents = dict[int, list[Any]]


def load_inputs(
    rows: BulkRows,
    lead_ids: Sequence[int],
    *,
    fresh: FreshEvents | None = None,
    scanned: ScannedEvents | None = None,
) -> ScoringInputs:
    """Lock and read the leads (FOR UPDATE on PostgreSQL, as re-scoring one lead does), then
    their answers, events and ledgers. `fresh` events are taken as given, not read back;
    `scanned` holds every stored event (see `scan_events`), and those of these leads are
    taken from it."""
    return ScoringInputs(
        leads=_leads(rows, lead_ids),
        answers=_answers(rows, lead_ids),
        events=_events(rows, lead_ids, fresh or FreshEvents(by_lead={}, ids=set()), scanned),
        ledger=_ledger(rows, lead_ids),
    )


def scan_events(rows: BulkRows) -> ScannedEvents | None:
    """Every stored event by lead, read in one pass over the table, for re-scoring every lead:
    a lead's events are spread over the table, so reading them lead by lead through the index
    costs three times as much. Only on SQLite, where nothing can add an event while the
    transaction holds the write lock; on PostgreSQL each chunk reads its leads' events after
    locking them. None there."""
    if rows.postgres:
        return None
    scanned: ScannedEvents = {}
    found = rows.connection.exec_driver_sql(
        "SELECT lead_id, id, kind, occurred_at, asset FROM behaviour_events"
    )
    for row in found:
        bucket = scanned.get(row[0])
        if bucket is None:
            scanned[row[0]] = [row]
        else:
            bucket.append(row)
    return scanned


def _leads(rows: BulkRows, lead_ids: Sequence[int]) -> list[LeadState]:
    found = rows.select_in(
        "SELECT id, stage, score, rules_version, industry, employee_count, annual_revenue,"
        " country, title, seniority, created_at FROM leads WHERE id",
        lead_ids,
        suffix=" ORDER BY id" + (" FOR UPDATE" if rows.postgres else ""),
    )
    return [
        LeadState(
            id=lead_id,
            stage=_STAGES[stage],
            score=score,
            rules_version=version,
            facts=LeadFacts(
                industry=industry,
                employee_count=employees,
                annual_revenue=revenue,
                country=country,
                title=title,
                seniority=seniority,
                created_at=rows.read_moment(created),
            ),
        )
        for (lead_id, stage, score, version, industry, employees, revenue, country, title,
             seniority, created) in found
    ]  # fmt: skip


def _answers(rows: BulkRows, lead_ids: Sequence[int]) -> dict[int, list[AnswerFacts]]:
    """The answer that counts per dimension (the newest one not superseded), per lead."""
    found = rows.select_in(
        "SELECT lead_id, id, dimension, parsed FROM bant_answers"
        f" WHERE superseded = {rows.marker} AND lead_id",
        lead_ids,
        before=(False,),
        suffix=" ORDER BY lead_id, id",
    )
    current: dict[int, dict[Dimension, AnswerFacts]] = {}
    for lead_id, answer_id, dimension, parsed in found:
        data: dict[str, Any] = json.loads(parsed) if isinstance(parsed, str) else parsed
        current.setdefault(lead_id, {})[_DIMENSIONS[dimension]] = AnswerFacts(
            dimension=_DIMENSIONS[dimension],
            result=result_from_json(data),
            ref=f"answer:{answer_id}",
        )
    return {lead_id: list(answers.values()) for lead_id, answers in current.items()}


def _events(
    rows: BulkRows, lead_ids: Sequence[int], fresh: FreshEvents, scanned: ScannedEvents | None
) -> dict[int, list[EventFacts]]:
    """Each lead's events. The order does not matter: behaviour scoring sorts them itself."""
    found: Iterable[Any]
    if scanned is not None:
        found = chain.from_iterable(scanned.pop(lead_id, ()) for lead_id in lead_ids)
    else:
        sql = "SELECT lead_id, id, kind, occurred_at, asset FROM behaviour_events WHERE "
        before: tuple[Any, ...] = ()
        if fresh.ids and not rows.postgres:
            # The write lock has been held since before the fresh ids were taken, so every
            # other event is older; the index holds the id, so fresh rows are never even read.
            sql += f"id < {rows.marker} AND "
            before = (fresh.first_id,)
        found = rows.select_in(sql + "lead_id", lead_ids, before=before)
    events: dict[int, list[EventFacts]] = {}
    read_moment = rows.read_moment
    for lead_id, event_id, kind, occurred_at, asset in found:
        if event_id in fresh.ids:
            continue
        moment = read_moment(occurred_at)
        assert moment is not None  # the column is NOT NULL
        facts = EventFacts(
            kind=_KINDS[kind], occurred_at=moment, ref=f"event:{event_id}", asset=asset
        )
        bucket = events.get(lead_id)
        if bucket is None:
            events[lead_id] = [facts]
        else:
            bucket.append(facts)
    for lead_id in lead_ids:
        given = fresh.by_lead.get(lead_id)
        if given:
            events[lead_id] = events.get(lead_id, []) + given
    return events


def _ledger(rows: BulkRows, lead_ids: Sequence[int]) -> dict[int, list[LedgerLine]]:
    found = rows.select_in(
        "SELECT lead_id, rule_id, cause_ref, points, category, cause_kind FROM score_entries"
        " WHERE lead_id",
        lead_ids,
        suffix=" ORDER BY lead_id, id",
    )
    ledger: dict[int, list[LedgerLine]] = {}
    for lead_id, rule_id, cause_ref, points, category, cause_kind in found:
        line = LedgerLine(
            rule_id=rule_id,
            cause_ref=cause_ref,
            points=points,
            category=category,
            cause_kind=cause_kind,
        )
        bucket = ledger.get(lead_id)
        if bucket is None:
            ledger[lead_id] = [line]
        else:
            bucket.append(line)
    return ledger
