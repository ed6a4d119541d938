"""The score ledger: re-scoring appends the difference, so the score is always explainable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from qualification.lifecycle import Actor, StageEvent
from qualification.rules import RuleSet
from qualification.scoring import EventFacts, LeadFacts, LedgerLine, compute_score, reconcile
from qualification.stages import Stage
from storage.answers import answer_facts
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


def rescore_lead(
    *,
    session: Session,
    lead: Lead,
    rules: RuleSet,
    now: datetime,
    actor: Actor | None = None,
) -> list[ScoreEntry]:
    """Bring the ledger in line with the rules and facts as of `now`; return the new entries.

    A new lead at or above the MQL threshold becomes an MQL; a nurtured lead whose score rises
    to or above it re-engages (back to MQL). Both moves are audited.
    """
    # Serialise re-scoring per lead, or two concurrent ones would append the same deltas.
    lock_lead(session=session, lead=lead)
    lead_id = lead.id or 0
    previous = lead.score
    existing = ledger(session=session, lead_id=lead_id)
    target = compute_score(
        rules=rules,
        lead=lead_facts(lead),
        answers=answer_facts(session=session, lead_id=lead_id),
        events=event_facts(session=session, lead_id=lead_id),
        now=now,
    )
    deltas = reconcile(
        ledger=[
            LedgerLine(
                rule_id=e.rule_id,
                cause_ref=e.cause_ref,
                points=e.points,
                category=e.category,
                cause_kind=e.cause_kind,
            )
            for e in existing
        ],
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
    session.add_all(entries)
    lead.score = sum(e.points for e in existing) + sum(e.points for e in entries)
    lead.rules_version = rules.version
    session.add(lead)
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
