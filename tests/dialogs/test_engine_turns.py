"""One turn, one transaction: repeated turn ids, racing turns, bad input, lead capture."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from dialogs.capture import WELCOME_BACK
from dialogs.engine import DialogEngine
from dialogs.intake import CONTROL, CUT, EMPTY, MAX_ANSWER_CHARS, NOT_UTF8
from dialogs.prompt import Prompt
from qualification.errors import ConcurrentTurn
from qualification.stages import GivenBy, Stage
from storage.ledger import ledger_sum
from storage.models import BantAnswer, Conversation, Lead, Message, ScoreEntry, StageChange
from tests.dialogs.helpers import QUALIFIED, build_engine, count, known_lead, say, start
from tests.factories import make_lead


@pytest.fixture
def engine() -> DialogEngine:
    return build_engine()


def snapshot(session: Session, conversation_id: int) -> tuple[Any, ...]:
    session.expire_all()
    conversation = session.get(Conversation, conversation_id)
    assert conversation is not None
    return (
        count(session, Message),
        count(session, BantAnswer),
        count(session, ScoreEntry),
        count(session, StageChange),
        conversation.version,
        conversation.state,
        dict(conversation.context),
    )


def test_repeated_turn_id_returns_the_same_reply_and_writes_nothing(
    session: Session, engine: DialogEngine
) -> None:
    prompt = start(engine, session, known_lead(session))
    first = say(engine, session, prompt, QUALIFIED["need"], turn_id="client-1")
    before = snapshot(session, prompt.conversation_id)
    again = say(engine, session, prompt, "something else entirely", turn_id="client-1")
    assert again == first
    assert snapshot(session, prompt.conversation_id) == before


def test_expected_version_mismatch_names_the_current_question(
    session: Session, engine: DialogEngine
) -> None:
    prompt = start(engine, session, known_lead(session))
    moved = say(engine, session, prompt, QUALIFIED["need"])
    before = snapshot(session, prompt.conversation_id)
    with pytest.raises(ConcurrentTurn) as info:
        say(engine, session, prompt, "around 10k")  # still at the old version
    assert "not applied" in str(info.value)
    assert moved.text in str(info.value)
    assert snapshot(session, prompt.conversation_id) == before


def test_two_racing_turns_one_wins_the_other_is_told(
    db_engine: Engine, session: Session, engine: DialogEngine
) -> None:
    lead = known_lead(session)
    prompt = start(engine, session, lead)
    barrier = threading.Barrier(2)
    results: list[Prompt | BaseException] = []

    def send(text: str, turn_id: str) -> None:
        with Session(db_engine, expire_on_commit=False) as own:
            barrier.wait()
            try:
                results.append(say(engine, own, prompt, text, turn_id=turn_id))
            except ConcurrentTurn as exc:
                results.append(exc)

    threads = [
        threading.Thread(target=send, args=(QUALIFIED["need"], "race-a")),
        threading.Thread(target=send, args=("We need better forecasting", "race-b")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    winners = [r for r in results if isinstance(r, Prompt)]
    losers = [r for r in results if isinstance(r, ConcurrentTurn)]
    assert len(winners) == 1 and len(losers) == 1, results
    session.expire_all()
    assert count(session, BantAnswer, lead_id=lead.id, dimension="need") == 1
    inbound = session.exec(
        select(Message).where(
            Message.conversation_id == prompt.conversation_id, Message.direction == "in"
        )
    ).all()
    assert len(inbound) == 1
    conversation = session.get(Conversation, prompt.conversation_id)
    assert conversation is not None
    assert conversation.version == winners[0].version == prompt.version + 1


def test_non_utf8_bytes_are_refused_without_writes(session: Session, engine: DialogEngine) -> None:
    prompt = start(engine, session, known_lead(session))
    before = snapshot(session, prompt.conversation_id)
    reply = say(engine, session, prompt, b"\xff\xfe budget")
    assert reply.step_id == prompt.step_id and reply.notices == (NOT_UTF8,)
    assert reply.version == prompt.version
    assert snapshot(session, prompt.conversation_id) == before


def test_empty_answer_asks_again_without_writes(session: Session, engine: DialogEngine) -> None:
    prompt = start(engine, session, known_lead(session))
    before = snapshot(session, prompt.conversation_id)
    reply = say(engine, session, prompt, "  \n ")
    assert reply.step_id == "need" and reply.notices == (EMPTY,)
    assert snapshot(session, prompt.conversation_id) == before


def test_control_characters_are_stripped_before_storing(
    session: Session, engine: DialogEngine
) -> None:
    lead = known_lead(session)
    prompt = start(engine, session, lead)
    reply = say(engine, session, prompt, "We need\x00 better\x1b forecasting\nand reporting")
    assert reply.notices == (CONTROL,)
    answer = session.exec(select(BantAnswer).where(BantAnswer.lead_id == lead.id)).one()
    assert answer.raw_text == "We need better forecasting\nand reporting"


def test_very_long_answer_is_cut_with_notice(session: Session, engine: DialogEngine) -> None:
    lead = known_lead(session)
    prompt = start(engine, session, lead)
    reply = say(engine, session, prompt, "We need better reporting. " + "x" * 10_000)
    assert CUT in reply.notices and reply.step_id == "budget"
    inbound = session.exec(
        select(Message).where(
            Message.conversation_id == prompt.conversation_id, Message.direction == "in"
        )
    ).one()
    assert len(inbound.text) == MAX_ANSWER_CHARS


def test_an_anonymous_visitor_giving_an_email_on_file_becomes_that_lead(
    session: Session, engine: DialogEngine
) -> None:
    existing = make_lead(session, name="Grace Hopper", email="grace@navy.example", title="")
    visitor = make_lead(session, name="", email=None, company_name="")
    prompt = start(engine, session, visitor)
    prompt = say(engine, session, prompt, "Grace")
    assert prompt.step_id == "email"
    prompt = say(engine, session, prompt, "Grace@Navy.example")
    assert WELCOME_BACK in prompt.notices
    assert prompt.step_id == "need"  # the company is already on file, so it is not asked
    session.expire_all()
    assert session.get(Lead, visitor.id) is None
    assert count(session, Lead) == 1
    conversation = session.get(Conversation, prompt.conversation_id)
    assert conversation is not None and conversation.lead_id == existing.id
    lead = session.get(Lead, existing.id)
    assert lead is not None and lead.name == "Grace Hopper"  # on-file data is kept
    assert lead.stage is Stage.MQL
    changes = session.exec(select(StageChange).where(StageChange.lead_id == existing.id)).all()
    assert [(c.from_stage, c.to_stage) for c in changes] == [(Stage.NEW, Stage.MQL)]
    assert count(session, StageChange) == 1  # the anonymous lead's audit rows went with it
    # The rest of the chat lands on the lead on file.
    prompt = say(engine, session, prompt, QUALIFIED["need"])
    assert count(session, BantAnswer, lead_id=existing.id) == 1
    assert lead.score == ledger_sum(session=session, lead_id=existing.id)


def test_new_email_is_stored_on_the_lead(session: Session, engine: DialogEngine) -> None:
    visitor = make_lead(session, name="Grace", email=None, company_name="")
    prompt = start(engine, session, visitor)
    assert prompt.step_id == "email"
    reply = say(engine, session, prompt, "grace@navy.example", given_by=GivenBy.PROSPECT)
    assert reply.step_id == "company" and not reply.notices
    session.refresh(visitor)
    assert visitor.email == "grace@navy.example"
