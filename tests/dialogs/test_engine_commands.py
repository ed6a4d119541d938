"""Commands at any step, the retry cap, and read-back of low-confidence answers."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from dialogs.commands import command_help
from dialogs.engine import FINISHED, WITH_A_PERSON, DialogEngine
from dialogs.turn import ALREADY_FIRST, GAVE_UP, RESTARTED, SKIPPED
from qualification.parsers import LOW_CONFIDENCE, ParseContext, parse_answer
from qualification.parsers.result import AnswerKind, ParseStatus
from qualification.stages import Dimension
from storage.models import BantAnswer, Conversation, Message, OutboxItem
from tests.dialogs.helpers import NOW, QUALIFIED, build_engine, count, known_lead, say, start
from tests.factories import make_lead


@pytest.fixture
def engine() -> DialogEngine:
    return build_engine()


def test_back_skip_restart_help(session: Session, engine: DialogEngine) -> None:
    lead = make_lead(session, name="", email=None, company_name="")
    prompt = start(engine, session, lead)
    back = say(engine, session, prompt, "back")
    assert back.step_id == "name" and back.notices == (ALREADY_FIRST,)
    prompt = say(engine, session, back, "Grace Hopper")
    assert prompt.step_id == "email"
    assert prompt.text.startswith("Nice to meet you, Grace.")
    helped = say(engine, session, prompt, "help")
    assert helped.step_id == "email"
    assert helped.text.startswith("We use your work email only")
    assert command_help() in helped.text
    skipped = say(engine, session, helped, "skip")
    assert skipped.step_id == "company" and skipped.notices == (SKIPPED,)
    assert skipped.progress == (2, 9)
    back = say(engine, session, skipped, "go back")
    assert back.step_id == "email" and back.progress == (1, 9)
    prompt = say(engine, session, back, "grace@navy.example")
    prompt = say(engine, session, prompt, "US Navy")
    assert prompt.step_id == "need"
    session.refresh(lead)
    assert (lead.name, lead.email, lead.company_name) == (
        "Grace Hopper",
        "grace@navy.example",
        "US Navy",
    )
    restarted = say(engine, session, prompt, "start over")
    # What this conversation filled in is asked again; nothing was known before it.
    assert restarted.step_id == "name" and restarted.notices == (RESTARTED,)
    assert restarted.progress[0] == 0


def test_help_does_not_use_up_retries(session: Session, engine: DialogEngine) -> None:
    prompt = start(engine, session, known_lead(session))
    prompt = say(engine, session, prompt, QUALIFIED["need"])
    assert prompt.step_id == "budget"
    for _ in range(4):
        prompt = say(engine, session, prompt, "help")
        assert prompt.step_id == "budget" and not prompt.notices
    conversation = session.get(Conversation, prompt.conversation_id)
    assert conversation is not None and conversation.context["retries"] == {}


def test_retry_cap_records_unknown_and_moves_on(session: Session, engine: DialogEngine) -> None:
    lead = known_lead(session)
    prompt = say(engine, session, start(engine, session, lead), QUALIFIED["need"])
    assert prompt.step_id == "budget"
    for attempt in range(2):  # retry_cap 2: two reprompts
        prompt = say(engine, session, prompt, "purple elephants")
        assert prompt.step_id == "budget", attempt
        assert prompt.text.startswith("Sorry, I couldn't read an amount there.")
    prompt = say(engine, session, prompt, "purple elephants")
    assert prompt.step_id == "authority"
    assert prompt.notices == (GAVE_UP,)
    answer = session.exec(
        select(BantAnswer).where(BantAnswer.lead_id == lead.id, BantAnswer.dimension == "budget")
    ).one()
    assert answer.status == ParseStatus.UNKNOWN.value
    assert answer.raw_text == "purple elephants"


def _low_confidence_budget() -> str:
    context = ParseContext(today=NOW.date())
    for text in ("50 maybe 100", "maybe 50 or 100", "50 or 100?"):
        result = parse_answer(AnswerKind.MONEY, text, context=context)
        if result.status is ParseStatus.OK and result.confidence < LOW_CONFIDENCE:
            return text
    raise AssertionError("no low-confidence budget sample")


def test_low_confidence_is_read_back_and_confirmed(session: Session, engine: DialogEngine) -> None:
    lead = known_lead(session)
    prompt = say(engine, session, start(engine, session, lead), QUALIFIED["need"])
    text = _low_confidence_budget()
    asked = say(engine, session, prompt, text)
    assert asked.step_id == "budget"
    assert asked.text.startswith("I understood: ") and asked.text.endswith("Is that right?")
    assert [c.value for c in asked.choices] == ["yes", "no"]
    assert count(session, BantAnswer, lead_id=lead.id, dimension="budget") == 0
    # "no": nothing recorded, the question again
    again = say(engine, session, asked, "no")
    assert again.step_id == "budget" and again.text.startswith("No problem")
    assert count(session, BantAnswer, lead_id=lead.id, dimension="budget") == 0
    asked = say(engine, session, again, text)
    confirmed = say(engine, session, asked, "yes")
    assert confirmed.step_id == "authority"
    answer = session.exec(
        select(BantAnswer).where(BantAnswer.lead_id == lead.id, BantAnswer.dimension == "budget")
    ).one()
    assert answer.raw_text == text and answer.confidence < LOW_CONFIDENCE


def test_talk_to_a_human_then_finished(session: Session, engine: DialogEngine) -> None:
    lead = known_lead(session)
    prompt = say(engine, session, start(engine, session, lead), "talk to a human")
    assert prompt.done and prompt.outcome is None
    assert "a person will pick up" in prompt.text
    conversation = session.get(Conversation, prompt.conversation_id)
    assert conversation is not None and conversation.status == "human"
    item = session.exec(
        select(OutboxItem).where(OutboxItem.topic == "conversation.human_requested")
    ).one()
    assert item.payload["conversation_id"] == prompt.conversation_id
    assert item.payload["step_id"] == "need"
    messages = count(session, Message, conversation_id=prompt.conversation_id)
    later = say(engine, session, prompt, "hello?")
    assert later.done and later.text == WITH_A_PERSON
    assert count(session, Message, conversation_id=prompt.conversation_id) == messages


def test_turns_after_the_end_write_nothing(session: Session, engine: DialogEngine) -> None:
    lead = known_lead(session)
    prompt = start(engine, session, lead)
    for text in (*QUALIFIED.values(), "250", "spreadsheets"):
        prompt = say(engine, session, prompt, text)
    assert prompt.done and prompt.outcome is not None
    messages = count(session, Message, conversation_id=prompt.conversation_id)
    later = say(engine, session, prompt, "one more thing")
    assert later.done and later.text == FINISHED and later.outcome == prompt.outcome
    assert later.version == prompt.version
    assert count(session, Message, conversation_id=prompt.conversation_id) == messages
    assert count(session, BantAnswer, lead_id=lead.id, dimension=Dimension.NEED.value) == 1
