"""Re-scoring many leads at once: the set-based twin of `storage.ledger.rescore_lead`.

Leads go in chunks, in id order. Per chunk: lock and read the leads with their answers, events
and ledgers (storage.bulk_inputs), score each with the pure scorer (qualification.batchscore),
then write the ledger entries, the new scores, the stage changes with their audit rows and the
outbox items with executemany (storage.bulk_rows). The rows are the ones `rescore_lead` writes
lead by lead, in the same order and with the same ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from qualification.batchscore import BatchScorer
from qualification.lifecycle import Actor, StageMove
from qualification.rules import RuleSet
from qualification.scoring import ScoreItem
from storage.bulk_inputs import FreshEvents, LeadState, ScannedEvents, load_inputs, scan_events
from storage.bulk_rows import (
    OUTBOX_COLUMNS,
    BulkRows,
    big_page_cache,
    chunks,
    outbox_row,
    paused_gc,
    table,
)
from storage.models import Lead, OutboxItem, ScoreEntry, StageChange, WebhookEndpoint, utcnow
from storage.outbox import EVENT
from storage.progress import Progress, Silent
from storage.webhook_events import event_data
from storage.webhooks import DELIVER, KIND, active_endpoints_for, delivery_key

LEADS_PER_CHUNK = 5_000
STAGE_CHANGED = "lead.stage_changed"
NOTE_LIMIT = 500

_ENTRY_COLUMNS = ("id", "lead_id", "rule_id", "rules_version", "category", "points",
                  "cause_kind", "cause_ref", "note", "created_at")  # fmt: skip
_CHANGE_COLUMNS = ("id", "lead_id", "event", "from_stage", "to_stage", "actor",
                   "actor_user_id", "reason", "at")  # fmt: skip
# A lead, the entries to append to its ledger, its stage move, and whether its row changes.
Scored = tuple[LeadState, list[ScoreItem], StageMove | None, bool]


@dataclass
class RescoreTotals:
    """Leads re-scored, leads whose ledger changed, leads that changed stage."""

    seen: int = 0
    changed: int = 0
    moved: int = 0


def rescore_everyone(
    *,
    session: Session,
    rules: RuleSet,
    now: datetime,
    actor: Actor,
    progress: Progress | None = None,
) -> RescoreTotals:
    """Re-score every lead (after a rules change), in id order."""
    lead_ids = list(session.exec(select(col(Lead.id)).order_by(col(Lead.id))).all())
    with paused_gc(), big_page_cache(session):
        bar = progress or Silent()
        bar.start("reading events", 1)
        scanned = scan_events(BulkRows(session))
        bar.advance(1)
        return rescore_leads(
            session=session,
            lead_ids=[lead_id for lead_id in lead_ids if lead_id is not None],
            rules=rules,
            now=now,
            actor=actor,
            progress=bar,
            scanned=scanned,
        )


def rescore_leads(
    *,
    session: Session,
    lead_ids: Sequence[int],
    rules: RuleSet,
    now: datetime,
    actor: Actor,
    fresh: FreshEvents | None = None,
    scanned: ScannedEvents | None = None,
    progress: Progress | None = None,
) -> RescoreTotals:
    """Re-score these leads in the caller's transaction, as `rescore_lead` would one by one in
    id order. `fresh` are the events the caller stored earlier in the transaction; `scanned`
    every stored event, when the caller has read them all (storage.bulk_inputs.scan_events)."""
    bar = progress or Silent()
    rows = BulkRows(session)
    scorer = BatchScorer(rules=rules, now=now, actor=actor)
    endpoints = active_endpoints_for(session=session, event=STAGE_CHANGED)
    totals = RescoreTotals()
    ordered = sorted(lead_ids)
    bar.start("scoring leads", len(ordered))
    for chunk in chunks(ordered, LEADS_PER_CHUNK):
        inputs = load_inputs(rows, chunk, fresh=fresh, scanned=scanned)
        scored: list[Scored] = []
        for lead in inputs.leads:
            result = scorer.rescore(
                lead=lead.facts,
                stage=lead.stage,
                score=lead.score,
                rules_version=lead.rules_version,
                answers=inputs.answers.get(lead.id, []),
                events=inputs.events.get(lead.id, []),
                ledger=inputs.ledger.get(lead.id, []),
            )
            dirty = result.score != lead.score or lead.rules_version != rules.version
            scored.append((lead, result.deltas, result.move, dirty))
            totals.changed += bool(result.deltas)
            totals.moved += result.move is not None
            lead.score, lead.rules_version = result.score, rules.version
        _write(session, rows, scored, rules=rules, now=now, endpoints=endpoints)
        totals.seen += len(inputs.leads)
        bar.advance(len(chunk))
    session.expire_all()  # loaded ORM rows must not hide what was written here
    return totals


def _write(
    session: Session,
    rows: BulkRows,
    scored: list[Scored],
    *,
    rules: RuleSet,
    now: datetime,
    endpoints: list[WebhookEndpoint],
) -> None:
    version, created = rules.version, rows.moment(now)
    entry_ids = iter(rows.reserve_ids(table(ScoreEntry), sum(len(d) for _, d, _, _ in scored)))
    rows.insert(
        table(ScoreEntry),
        _ENTRY_COLUMNS,
        [
            (next(entry_ids), lead.id, item.rule_id, version, item.category, item.points,
             item.cause_kind, item.cause_ref, item.note[:NOTE_LIMIT], created)
            for lead, deltas, _, _ in scored
            for item in deltas
        ],
    )  # fmt: skip
    rows.update(
        table(Lead),
        ("score", "rules_version"),
        [(lead.score, version, lead.id) for lead, _, move, dirty in scored
         if dirty and move is None],
    )  # fmt: skip
    moves = [(lead, move) for lead, _, move, _ in scored if move is not None]
    if moves:
        _record_moves(session, rows, moves, endpoints)


def _record_moves(
    session: Session,
    rows: BulkRows,
    moves: list[tuple[LeadState, StageMove]],
    endpoints: list[WebhookEndpoint],
) -> None:
    """The leads' new stages, audit rows and `lead.stage_changed` outbox items (with a delivery
    per webhook endpoint that receives it), as `storage.leads.move_stage` writes them."""
    at = utcnow()  # the moment of the moves (one per chunk of leads)
    stored_at, said_at = rows.moment(at), at.isoformat()
    rows.update(
        table(Lead),
        ("score", "rules_version", "stage", "updated_at"),
        [(lead.score, lead.rules_version, move.to_stage.value, stored_at, lead.id)
         for lead, move in moves],
    )  # fmt: skip
    change_ids = rows.reserve_ids(table(StageChange), len(moves))
    per_event = 1 + len(endpoints)
    outbox_ids = rows.reserve_ids(table(OutboxItem), len(moves) * per_event)
    changes, events = [], []
    for n, (lead, move) in enumerate(moves):
        actor = str(move.actor)
        changes.append(
            (change_ids[n], lead.id, move.event.value, move.from_stage.value,
             move.to_stage.value, actor, move.actor.user_id, move.reason, stored_at)
        )  # fmt: skip
        payload = {
            "lead_id": lead.id,
            "change_id": change_ids[n],
            "event": move.event.value,
            "from": move.from_stage.value,
            "to": move.to_stage.value,
            "actor": actor,
            "reason": move.reason,
            "at": said_at,
        }
        events.append((outbox_ids[n * per_event], payload))
    rows.insert(table(StageChange), _CHANGE_COLUMNS, changes)
    rows.insert(
        table(OutboxItem),
        OUTBOX_COLUMNS,
        [
            outbox_row(rows, item_id, kind=EVENT, topic=STAGE_CHANGED, payload=payload,
                       stored_at=stored_at)
            for item_id, payload in events
        ],
    )  # fmt: skip
    if endpoints:
        _deliveries(session, rows, events, endpoints, outbox_ids, at=at)


def _deliveries(
    session: Session,
    rows: BulkRows,
    events: list[tuple[int, dict[str, Any]]],
    endpoints: list[WebhookEndpoint],
    outbox_ids: list[int],
    *,
    at: datetime,
) -> None:
    """One `webhook.deliver` item per endpoint and event, with the lead's snapshot as of the
    move (storage.webhook_events.fan_out). The snapshot reads the rows written above."""
    session.expire_all()
    per_event = 1 + len(endpoints)
    stored_at = rows.moment(at)
    deliveries = []
    for n, (event_id, payload) in enumerate(events):
        body = {
            "event": STAGE_CHANGED,
            "event_id": event_id,
            "occurred_at": at.isoformat(),
            "data": event_data(session=session, topic=STAGE_CHANGED, payload=payload),
        }
        for k, endpoint in enumerate(endpoints, start=1):
            assert endpoint.id is not None
            deliveries.append(
                outbox_row(
                    rows,
                    outbox_ids[n * per_event + k],
                    kind=KIND,
                    topic=DELIVER,
                    payload={"endpoint_id": endpoint.id, **body},
                    stored_at=stored_at,
                    dedupe_key=delivery_key(endpoint.id, event_id),
                )
            )
    rows.insert(table(OutboxItem), OUTBOX_COLUMNS, deliveries)
