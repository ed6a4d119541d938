"""Explainable lead scoring: the target breakdown, and the ledger entries that reach it.

`compute_score` lists one `ScoreItem` per rule that fires (fit, behaviour, decay, BANT) as of a
given moment; the score is their sum. Items worth 0 points are left out, so unknown answers and
capped-out events add no entry. `reconcile` compares that target with the ledger already
written, per (rule id, cause), and returns the entries to append (new points, adjustments and
reversals) so the ledger sums to the target without rewriting history.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from qualification.bant import assess
from qualification.behaviourscore import behaviour_items, decay_item
from qualification.fitscore import fit_items
from qualification.rules import RuleSet
from qualification.scorefacts import (
    CATEGORIES,
    AnswerFacts,
    EventFacts,
    LeadFacts,
    LedgerLine,
    ScoreItem,
    as_utc,
    signed,
)
from qualification.stages import Dimension

__all__ = [
    "CATEGORIES",
    "AnswerFacts",
    "EventFacts",
    "LeadFacts",
    "LedgerLine",
    "ScoreItem",
    "compute_score",
    "current_by_dimension",
    "reconcile",
]

NOTE_LIMIT = 500
Key = tuple[str, str | None]

REVERSAL_REASONS = {
    "answer": "the answer was superseded or no longer scores",
    "event": "the event no longer scores",
    "lead": "the lead's details or the rules changed",
    "decay": "the lead is active again",
}


def current_by_dimension(answers: Sequence[AnswerFacts]) -> dict[Dimension, AnswerFacts]:
    """The answer that counts per dimension: the last one given in `answers`."""
    return {answer.dimension: answer for answer in answers}


def compute_score(
    *,
    rules: RuleSet,
    lead: LeadFacts,
    answers: Sequence[AnswerFacts],
    events: Sequence[EventFacts],
    now: datetime,
    fit: Sequence[ScoreItem] | None = None,
) -> list[ScoreItem]:
    """The full target breakdown as of `now`: fit, behaviour, decay, then BANT items.

    `fit` is `fit_items(rules, lead)` when the caller already has it (a batch computes it once
    per distinct set of company and title facts).
    """
    items = (fit_items(rules, lead) if fit is None else list(fit)) + behaviour_items(rules, events)
    decay = decay_item(rules, lead, events, now)
    if decay is not None:
        items.append(decay)
    current = current_by_dimension(answers)
    for dimension in Dimension:
        answer = current.get(dimension)
        if answer is None:
            continue
        verdict = assess(
            rules=rules, dimension=dimension, result=answer.result, today=as_utc(now).date()
        )
        if verdict.points != 0:
            items.append(
                ScoreItem(
                    rule_id=f"bant.{dimension.value}",
                    category="bant",
                    points=verdict.points,
                    cause_kind="answer",
                    cause_ref=answer.ref,
                    note=f"{verdict.note} ({signed(verdict.points)})",
                )
            )
    return items


def reconcile(
    *, ledger: Sequence[LedgerLine], target: Sequence[ScoreItem], reason: str | None = None
) -> list[ScoreItem]:
    """Entries to append so that, per (rule_id, cause_ref), the ledger sums equal the target.

    Order: target keys in target order, then keys only in the ledger in ledger order.
    `reason` (e.g. "rules changed") is quoted in adjustment and reversal notes.
    """
    held: dict[Key, int] = {}
    kinds: dict[Key, tuple[str, str]] = {}
    for line in ledger:
        key = (line.rule_id, line.cause_ref)
        if key in held:
            held[key] += line.points
            continue
        held[key] = line.points
        category = line.category or _category(line.rule_id)
        kinds[key] = (category, line.cause_kind or _cause_kind(line.cause_ref, category))
    wanted: dict[Key, list[ScoreItem]] = {}
    for item in target:
        wanted.setdefault((item.rule_id, item.cause_ref), []).append(item)

    deltas: list[ScoreItem] = []
    for key, items in wanted.items():
        first = items[0]
        want = first.points if len(items) == 1 else sum(item.points for item in items)
        have = held.get(key, 0)
        if want == have:
            continue
        if have == 0 and len(items) == 1 and len(first.note) <= NOTE_LIMIT:
            deltas.append(first)  # the item itself is the entry to append
            continue
        note = "; ".join(item.note for item in items)
        if have != 0:
            note = f"re-scored{', ' + reason if reason else ''}: {note} (was {signed(have)})"
        deltas.append(_entry(key, first.category, first.cause_kind, want - have, note))
    for key, have in held.items():
        if key in wanted or have == 0:
            continue
        category, cause_kind = kinds[key]
        why = reason or REVERSAL_REASONS.get(cause_kind, "the rule no longer applies")
        note = f"reversed: {why} (was {signed(have)})"
        deltas.append(_entry(key, category, cause_kind, -have, note))
    return deltas


def _entry(key: Key, category: str, cause_kind: str, points: int, note: str) -> ScoreItem:
    if len(note) > NOTE_LIMIT:
        note = note[: NOTE_LIMIT - 1] + "…"
    return ScoreItem(
        rule_id=key[0],
        category=category,
        points=points,
        cause_kind=cause_kind,
        cause_ref=key[1],
        note=note,
    )


def _category(rule_id: str) -> str:
    prefix = rule_id.split(".", 1)[0]
    return prefix if prefix in CATEGORIES else "fit"


def _cause_kind(cause_ref: str | None, category: str) -> str:
    if cause_ref is None:
        return "decay" if category == "decay" else "lead"
    return cause_ref.split(":", 1)[0] if ":" in cause_ref else "lead"
