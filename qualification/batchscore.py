"""Re-scoring many leads in one pass: for each lead, what a single re-score decides.

`BatchScorer.rescore` turns one lead's facts, answers, events and ledger into the ledger
entries to append, the new score and the stage move that score triggers. Work that does not
depend on the lead is done once per batch: fit items are kept per distinct set of company and
title facts, and each stage move is planned once per (stage, event, reason).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from qualification.fitscore import fit_items
from qualification.lifecycle import Actor, StageEvent, StageMove, plan_stage_change
from qualification.rules import RuleSet
from qualification.scoring import (
    AnswerFacts,
    EventFacts,
    LeadFacts,
    LedgerLine,
    ScoreItem,
    compute_score,
    reconcile,
)
from qualification.stages import Stage

RULES_CHANGED = "rules changed"
FitKey = tuple[str | None, int | None, float | None, str | None, str, str | None]


def scoring_event(*, stage: Stage, previous: int, score: int, threshold: int) -> StageEvent | None:
    """The move a re-score makes: a new lead at or above the MQL threshold becomes an MQL, and
    a nurtured lead whose score rises to or above it re-engages (back to MQL)."""
    if score < threshold:
        return None
    if stage is Stage.NEW:
        return StageEvent.MARK_MQL
    if stage is Stage.NURTURE and score > previous:
        return StageEvent.REENGAGE
    return None


def threshold_reason(*, score: int, threshold: int) -> str:
    return f"score {score} reached the MQL threshold ({threshold})"


@dataclass(frozen=True)
class Rescored:
    """A lead's re-score: entries to append, the score they make, and the move it triggers."""

    deltas: list[ScoreItem]
    score: int
    move: StageMove | None


class BatchScorer:
    """Scores leads one after another with the same rules, moment and actor."""

    def __init__(self, *, rules: RuleSet, now: datetime, actor: Actor) -> None:
        self.rules = rules
        self.now = now
        self.actor = actor
        self._fit: dict[FitKey, list[ScoreItem]] = {}
        self._moves: dict[tuple[Stage, StageEvent, str], StageMove] = {}

    def fit(self, lead: LeadFacts) -> list[ScoreItem]:
        """`fit_items` for the lead, computed once per distinct set of facts it reads."""
        key = (
            lead.industry,
            lead.employee_count,
            lead.annual_revenue,
            lead.country,
            lead.title,
            lead.seniority,
        )
        items = self._fit.get(key)
        if items is None:
            items = self._fit[key] = fit_items(self.rules, lead)
        return items

    def rescore(
        self,
        *,
        lead: LeadFacts,
        stage: Stage,
        score: int,
        rules_version: str | None,
        answers: Sequence[AnswerFacts],
        events: Sequence[EventFacts],
        ledger: Sequence[LedgerLine],
    ) -> Rescored:
        """Bring one lead's ledger in line with the rules and facts; `score` is its score now."""
        rules = self.rules
        target = compute_score(
            rules=rules, lead=lead, answers=answers, events=events, now=self.now, fit=self.fit(lead)
        )
        changed = rules_version not in (None, rules.version)
        deltas = reconcile(ledger=ledger, target=target, reason=RULES_CHANGED if changed else None)
        total = sum(line.points for line in ledger) + sum(item.points for item in deltas)
        event = scoring_event(
            stage=stage, previous=score, score=total, threshold=rules.mql_threshold
        )
        move = None if event is None else self._plan(stage, event, total)
        return Rescored(deltas=deltas, score=total, move=move)

    def _plan(self, stage: Stage, event: StageEvent, score: int) -> StageMove:
        reason = threshold_reason(score=score, threshold=self.rules.mql_threshold)
        key = (stage, event, reason)
        move = self._moves.get(key)
        if move is None:
            move = self._moves[key] = plan_stage_change(
                current=stage, event=event, actor=self.actor, reason=reason
            )
        return move
