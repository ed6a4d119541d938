"""BANT answers: stored with who gave them; a human's answer outranks the bot's."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, insert
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, col, select

from qualification.parsers.result import ParseResult
from qualification.parsers.serialize import result_from_json, result_to_json
from qualification.scoring import AnswerFacts
from qualification.stages import Dimension, GivenBy
from storage.models import BantAnswer, Lead, utcnow

# Built once: building a statement costs more than running it.
_TABLE = BantAnswer.__table__  # type: ignore[attr-defined]
_COLUMNS = [column for column in _TABLE.columns if not column.primary_key]
_INSERT = insert(_TABLE).returning(_TABLE.c.id)
_STANDING = (
    select(BantAnswer)
    .where(col(BantAnswer.lead_id) == bindparam("lead_id"), col(BantAnswer.superseded).is_(False))
    .order_by(col(BantAnswer.id))
)


class LeadAnswers:
    """A lead's answers that are not superseded, read once for a transaction that holds the
    lead (see `load_answers`) and kept up to date by `record_answer`, so a turn that reads
    them several times queries once."""

    def __init__(self, rows: Iterable[BantAnswer]) -> None:
        self._rows = list(rows)  # in id order, like the query
        self._facts: dict[int, AnswerFacts] = {}

    def rows_of(self, dimension: Dimension) -> list[BantAnswer]:
        return [row for row in self._rows if row.dimension == dimension]

    def replace(self, dimension: Dimension, row: BantAnswer | None) -> None:
        """`dimension`'s answers were superseded (by `row`, when it counts)."""
        self._rows = [each for each in self._rows if each.dimension != dimension]
        if row is not None:
            self._rows.append(row)

    def current(self) -> dict[Dimension, BantAnswer]:
        """The answer that counts for each dimension (as `current_answers`)."""
        return {row.dimension: row for row in self._rows}

    def facts(self) -> list[AnswerFacts]:
        """The current answers as the pure scoring layer sees them (as `answer_facts`)."""
        return [self._fact(row) for row in self.current().values()]

    def _fact(self, row: BantAnswer) -> AnswerFacts:
        key = row.id or 0
        fact = self._facts.get(key)
        if fact is None:
            fact = AnswerFacts(
                dimension=row.dimension, result=result_from_json(row.parsed), ref=f"answer:{key}"
            )
            self._facts[key] = fact
        return fact


def _insert_now(session: Session, row: BantAnswer) -> None:
    """INSERT the row with one statement (cheaper than a flush) and attach it to the session
    as a loaded row, so it reads and later changes like one."""
    values = {column.name: getattr(row, column.name) for column in _COLUMNS}
    with session.no_autoflush:  # other changes wait for the transaction's next flush
        row.id = session.execute(_INSERT, values).scalar_one()
    make_transient_to_detached(row)
    session.add(row)


def load_answers(*, session: Session, lead_id: int) -> LeadAnswers:
    """The lead's answers that are not superseded (one query)."""
    return LeadAnswers(session.exec(_STANDING, params={"lead_id": lead_id}).all())


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
    answers: LeadAnswers | None = None,
) -> BantAnswer:
    """Store an answer. If a higher-ranked source already answered this dimension, the new
    answer is kept for the record but marked superseded; otherwise it replaces earlier ones.

    `answers`: the lead's answers already read in this transaction; used instead of a query
    and updated. The new row is written at once (it has its id); the other changes (the lead,
    answers it supersedes) are left for the session's next flush.
    """
    if answers is None:
        current = list(
            session.exec(
                select(BantAnswer).where(
                    BantAnswer.lead_id == lead.id,
                    BantAnswer.dimension == dimension,
                    col(BantAnswer.superseded).is_(False),
                )
            ).all()
        )
    else:
        current = answers.rows_of(dimension)
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
    if answers is None:
        session.add(row)
        session.flush()
    else:
        _insert_now(session, row)
    # After the insert, so that the lead's row is written once, with the turn's other changes.
    lead.last_activity_at = utcnow()
    session.add(lead)
    if answers is not None and not outranked:
        answers.replace(dimension, row)
    return row


def current_answers(*, session: Session, lead_id: int) -> dict[Dimension, BantAnswer]:
    """The answer that counts for each dimension (the newest one not superseded)."""
    return load_answers(session=session, lead_id=lead_id).current()


def answer_facts(*, session: Session, lead_id: int) -> list[AnswerFacts]:
    """Current answers as the pure scoring layer sees them."""
    return load_answers(session=session, lead_id=lead_id).facts()
