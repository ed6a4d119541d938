"""The score ledger: re-scoring appends the difference, so the score is always explainable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, insert
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from qualification.lifecycle import Actor, StageEvent
from qualification.rules import RuleSet
from qualification.scoring import EventFacts, LeadFacts, LedgerLine, compute_score, reconcile
from qualification.stages import EventKind, Stage
from storage.answers import LeadAnswers, load_answers
from storage.bulk_scoring import rescore_everyone
from storage.leads import lock_lead, move_stage
from storage.models import BehaviourEvent, Lead, ScoreEntry
from storage.progress import Progress


def lead_facts(lead: Lead) -> LeadFacts:
    """The lead's own fields as the pure scoring layer sees them."""
    return LeadFacts(
        industry=lead.industry,
        employee_count=lead.employee_count,
        annual_revenue=lead.annual_revenue,
        country=lead.country,
        title=lead.title,
        seniority=lead.seniority,
        created_at=lead.created_at,
    )


def event_facts(*, session: Session, lead_id: int) -> list[EventFacts]:
    """The lead's behaviour events, oldest first, as the scoring layer sees them."""
    rows = session.exec(
        select(BehaviourEvent)
        .where(BehaviourEvent.lead_id == lead_id)
        .order_by(col(BehaviourEvent.occurred_at), col(BehaviourEvent.id))
    ).all()
    return [
        EventFacts(kind=e.kind, occurred_at=e.occurred_at, ref=f"event:{e.id}", asset=e.asset)
        for e in rows
    ]


def ledger(*, session: Session, lead_id: int) -> list[ScoreEntry]:
    """Every score entry of the lead, in the order they were written."""
    return list(
        session.exec(
            select(ScoreEntry).where(ScoreEntry.lead_id == lead_id).order_by(col(ScoreEntry.id))
        ).all()
    )


def ledger_sum(*, session: Session, lead_id: int) -> int:
    """The sum of the lead's ledger: what `lead.score` must always equal."""
    total = session.exec(
        select(func.coalesce(func.sum(ScoreEntry.points), 0)).where(ScoreEntry.lead_id == lead_id)
    ).one()
    return int(total)


# Built once: building a statement costs more than running it.
_LEDGER_LINES = (
    sql_select(
        col(ScoreEntry.rule_id),
        col(ScoreEntry.cause_ref),
        col(ScoreEntry.points),
        col(ScoreEntry.category),
        col(ScoreEntry.cause_kind),
    )
    .where(col(ScoreEntry.lead_id) == bindparam("lead_id"))
    .order_by(col(ScoreEntry.id))
)
_EVENT_FACTS = (
    select(BehaviourEvent.kind, BehaviourEvent.occurred_at, BehaviourEvent.id, BehaviourEvent.asset)
    .where(col(BehaviourEvent.lead_id) == bindparam("lead_id"))
    .order_by(col(BehaviourEvent.occurred_at), col(BehaviourEvent.id))
)


_ENTRIES = ScoreEntry.__table__  # type: ignore[attr-defined]
_ENTRY_COLUMNS = [column for column in _ENTRIES.columns if not column.primary_key]
_INSERT_ENTRIES = insert(_ENTRIES)


def _insert_now(session: Session, entries: list[ScoreEntry]) -> None:
    """INSERT the entries with one statement (cheaper than a flush; the entries stay outside
    the session, without their ids)."""
    rows = [{c.name: getattr(entry, c.name) for c in _ENTRY_COLUMNS} for entry in entries]
    with session.no_autoflush:  # the lead's change waits for the turn's one flush
        session.execute(_INSERT_ENTRIES, rows)


@dataclass
class ScoreInputs:
    """What re-scoring a lead reads: its current answers, its ledger (oldest first) and its
    behaviour events. Read once by a transaction that holds the lead (`load_score_inputs`),
    then passed to `rescore_lead`, which adds the entries it writes to `ledger`."""

    answers: LeadAnswers
    ledger: list[LedgerLine]
    events: list[EventFacts]

    @property
    def score(self) -> int:
        return sum(line.points for line in self.ledger)


def ledger_lines(*, session: Session, lead_id: int) -> list[LedgerLine]:
    """The lead's ledger as the scoring layer sees it, oldest first."""
    return [
        LedgerLine(
            rule_id=rule_id,
            cause_ref=cause_ref,
            points=points,
            category=category,
            cause_kind=cause_kind,
        )
        for rule_id, cause_ref, points, category, cause_kind in session.execute(
            _LEDGER_LINES, {"lead_id": lead_id}
        )
    ]


def load_score_inputs(
    *, session: Session, lead_id: int, answers: LeadAnswers | None = None
) -> ScoreInputs:
    """Read what re-scoring the lead needs (`answers` when already read)."""
    if answers is None:
        answers = load_answers(session=session, lead_id=lead_id)
    return ScoreInputs(
        answers=answers,
        ledger=ledger_lines(session=session, lead_id=lead_id),
        events=[
            EventFacts(
                kind=EventKind(kind), occurred_at=occurred_at, ref=f"event:{event_id}", asset=asset
            )
            for kind, occurred_at, event_id, asset in session.exec(
                _EVENT_FACTS, params={"lead_id": lead_id}
            )
        ],
    )


def rescore_lead(
    *,
    session: Session,
    lead: Lead,
    rules: RuleSet,
    now: datetime,
    actor: Actor | None = None,
    inputs: ScoreInputs | None = None,
) -> list[ScoreEntry]:
    """Bring the ledger in line with the rules and facts as of `now`; return the new entries.

    A new lead at or above the MQL threshold becomes an MQL; a nurtured lead whose score rises
    to or above it re-engages (back to MQL). Both moves are audited.

    `inputs`: what this transaction has read for the lead, in which it already holds the lead
    (as `lock_lead`). Nothing is read again; the new entries are written at once (one statement,
    so the returned entries carry no ids) and join `inputs.ledger`; the lead's change is left
    for the caller's next flush.
    """
    flush = inputs is None
    if inputs is None:
        # Serialise re-scoring per lead, or two concurrent ones would append the same deltas.
        lock_lead(session=session, lead=lead)
        inputs = load_score_inputs(session=session, lead_id=lead.id or 0)
    lead_id = lead.id or 0
    previous = lead.score
    target = compute_score(
        rules=rules,
        lead=lead_facts(lead),
        answers=inputs.answers.facts(),
        events=inputs.events,
        now=now,
    )
    deltas = reconcile(
        ledger=inputs.ledger,
        target=target,
        reason="rules changed" if lead.rules_version not in (None, rules.version) else None,
    )
    entries = [
        ScoreEntry(
            lead_id=lead_id,
            rule_id=item.rule_id,
            rules_version=rules.version,
            category=item.category,
            points=item.points,
            cause_kind=item.cause_kind,
            cause_ref=item.cause_ref,
            note=item.note[:500],
            created_at=now,
        )
        for item in deltas
    ]
    if flush:
        session.add_all(entries)
    elif entries:
        _insert_now(session, entries)
    inputs.ledger.extend(
        LedgerLine(
            rule_id=e.rule_id,
            cause_ref=e.cause_ref,
            points=e.points,
            category=e.category,
            cause_kind=e.cause_kind,
        )
        for e in entries
    )
    lead.score = inputs.score
    lead.rules_version = rules.version
    session.add(lead)
    if flush:
        session.flush()
    reached = lead.score >= rules.mql_threshold
    if reached and (
        lead.stage is Stage.NEW or (lead.stage is Stage.NURTURE and lead.score > previous)
    ):
        event = StageEvent.MARK_MQL if lead.stage is Stage.NEW else StageEvent.REENGAGE
        move_stage(
            session=session,
            lead=lead,
            event=event,
            actor=actor or Actor.system("scoring"),
            reason=f"score {lead.score} reached the MQL threshold ({rules.mql_threshold})",
        )
    return entries


def rescore_all(
    *,
    session: Session,
    rules: RuleSet,
    now: datetime,
    actor: Actor,
    progress: Progress | None = None,
) -> tuple[int, int]:
    """Re-score every lead (after a rules change): (leads seen, leads whose ledger changed).

    Set-based (storage.bulk_scoring): the same rows as `rescore_lead` for each lead in id order.
    """
    totals = rescore_everyone(session=session, rules=rules, now=now, actor=actor, progress=progress)
    return totals.seen, totals.changed
