"""How many SQL statements the engine runs for one ordinary turn, whichever channel asks:
a budget, so that reading the same rows again (or writing them twice) is caught."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from dialogs.engine import DialogEngine
from tests.dialogs.helpers import QUALIFIED, build_engine, known_lead, say, start
from tests.statements import statements

# Hold the conversation and its lead, read the turn's messages, then the lead's answers,
# ledger and events once; write the answer, its score entries, the lead, both messages and
# the conversation. BEGIN and COMMIT are not counted.
ANSWER_TURN_BUDGET = 10
# A question without a BANT dimension or lead field ("Who makes the final decision?"): no
# answer row and no re-scoring, but the branch conditions still read the lead's answers.
PLAIN_TURN_BUDGET = 5


def test_an_answer_turn_stays_within_its_statement_budget(
    db_engine: Engine, session: Session
) -> None:
    engine: DialogEngine = build_engine()
    prompt = start(engine, session, known_lead(session))
    assert prompt.step_id == "need"
    with statements(db_engine) as seen:
        reply = say(engine, session, prompt, QUALIFIED["need"])
    assert reply.step_id == "budget" and reply.version == prompt.version + 1
    assert len(seen) <= ANSWER_TURN_BUDGET, "\n\n".join(seen)
    assert sum(s.startswith("UPDATE leads") for s in seen) == 1, "\n\n".join(seen)


def test_a_plain_turn_stays_within_its_statement_budget(
    db_engine: Engine, session: Session
) -> None:
    engine: DialogEngine = build_engine()
    prompt = start(engine, session, known_lead(session))
    for text in (QUALIFIED["need"], QUALIFIED["budget"], "I'm a manager; our CFO decides"):
        prompt = say(engine, session, prompt, text)
    assert prompt.step_id == "decision_maker"
    with statements(db_engine) as seen:
        reply = say(engine, session, prompt, "our CFO")
    assert reply.step_id == "decision_maker_joins"
    assert len(seen) <= PLAIN_TURN_BUDGET, "\n\n".join(seen)
