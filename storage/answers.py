"""BANT answers: stored with who gave them; a human's answer outranks the bot's."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from qualification.parsers.result import ParseResult
from qualification.parsers.serialize import result_from_json, result_to_json
from qualification.scoring import AnswerFacts
from qualification.stages import Dimension, GivenBy
from storage.models import BantAnswer, Lead, utcnow


def record_answer(
    *,
    session: Session,
    lead: Lead,
    dimension: Dimension,
    result: ParseResult[Any],
    raw_text: str,
    given_by: GivenBy,
    user_id: int | None = None,
    conversation_id: int | None = None,
    step_id: str | None = None,
) -> BantAnswer:
    """Store an answer. If a higher-ranked source already answered this dimension, the new
    answer is kept for the record but marked superseded; otherwise it replaces earlier ones."""
    current = session.exec(
        select(BantAnswer).where(
            BantAnswer.lead_id == lead.id,
            BantAnswer.dimension == dimension,
            col(BantAnswer.superseded).is_(False),
        )
    ).all()
    outranked = any(answer.given_by.rank > given_by.rank for answer in current)
    row = BantAnswer(
        lead_id=lead.id or 0,
        conversation_id=conversation_id,
        dimension=dimension,
        step_id=step_id,
        raw_text=raw_text,
        parsed=result_to_json(result),
        status=result.status.value,
        confidence=result.confidence,
        given_by=given_by,
        given_by_user_id=user_id,
        superseded=outranked,
    )
    if not outranked:
        for answer in current:
            answer.superseded = True
            session.add(answer)
    lead.last_activity_at = utcnow()
    session.add(lead)
    session.add(row)
    session.flush()
    return row


def current_answers(*, session: Session, lead_id: int) -> dict[Dimension, BantAnswer]:
    """The answer that counts for each dimension (the newest one not superseded)."""
    rows = session.exec(
        select(BantAnswer)
        .where(BantAnswer.lead_id == lead_id, col(BantAnswer.superseded).is_(False))
        .order_by(col(BantAnswer.id))
    ).all()
    return {row.dimension: row for row in rows}


def answer_facts(*, session: Session, lead_id: int) -> list[AnswerFacts]:
    """Current answers as the pure scoring layer sees them."""
    return [
        AnswerFacts(
            dimension=dimension, result=result_from_json(row.parsed), ref=f"answer:{row.id}"
        )
        for dimension, row in current_answers(session=session, lead_id=lead_id).items()
    ]
