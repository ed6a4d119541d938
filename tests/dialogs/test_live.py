"""Live chat services: the bot hands a web chat to a person, and takes it back."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from dialogs import live
from dialogs.engine import DialogEngine
from dialogs.live_desk import OFFER_FOLLOWUP, OFFER_LIVE
from dialogs.prompt import Prompt
from dialogs.sdr_call import ask_for_handoff, return_to_nurture
from qualification.errors import InvalidInput, PermissionDenied
from qualification.lifecycle import Actor, StageEvent
from qualification.rules import default_rules
from qualification.stages import GivenBy, Role, Stage
from storage import live_chats as rows
from storage.db import is_postgres
from storage.handoffs import decide_handoff
from storage.leads import lock_lead, move_stage
from storage.models import (
    Conversation,
    FollowUp,
    Lead,
    LiveChat,
    Message,
    OutboxItem,
    StageChange,
    User,
)
from tests.dialogs.helpers import NOW, QUALIFIED, count, desk_engine, known_lead, say, start
from tests.factories import make_lead, make_user


def messages(session: Session, conversation_id: int) -> list[Message]:
    session.rollback()
    return list(
        session.exec(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(col(Message.seq))
        ).all()
    )


def conversation(session: Session, conversation_id: int) -> Conversation:
    session.rollback()
    row = session.get(Conversation, conversation_id, populate_existing=True)
    assert row is not None
    return row


def qualify(engine: DialogEngine, session: Session, prompt: Prompt) -> Prompt:
    """Answer every question of the default flow as a qualifying prospect."""
    answers = {**QUALIFIED, "current_tool": "spreadsheets"}
    while not prompt.done:
        assert prompt.step_id is not None
        prompt = say(engine, session, prompt, answers[prompt.step_id])
    return prompt


def ask_for_human(session: Session, engine: DialogEngine) -> tuple[int, LiveChat]:
    lead = known_lead(session)
    prompt = start(engine, session, lead)
    reply = say(engine, session, prompt, "talk to a human")
    assert reply.done
    chat = rows.open_live_chat_of(session=session, conversation_id=prompt.conversation_id)
    assert chat is not None
    session.rollback()
    return prompt.conversation_id, chat


def test_talk_to_a_human_in_hours_opens_a_waiting_live_chat(session: Session) -> None:
    engine = desk_engine()
    conversation_id, chat = ask_for_human(session, engine)
    assert chat.status == rows.WAITING
    assert chat.resume_step == "need"  # where the prospect was
    assert chat.answer_by == NOW + timedelta(seconds=120)
    assert conversation(session, conversation_id).status == "human"
    topics = session.exec(select(OutboxItem.topic)).all()
    assert "live.requested" in topics
    last = messages(session, conversation_id)[-1]
    assert "usually picks up within 2 minutes" in " ".join(last.payload["notices"])  # type: ignore[index]


def test_outside_hours_the_bot_says_so_offers_a_follow_up_and_stays_on_its_question(
    session: Session,
) -> None:
    engine = desk_engine("never")
    lead = known_lead(session)
    prompt = start(engine, session, lead)
    reply = say(engine, session, prompt, "talk to a human")
    assert not reply.done
    assert reply.step_id == prompt.step_id  # the same question again
    assert reply.offer == OFFER_FOLLOWUP
    assert "Nobody from our team is online" not in reply.text or "follow up" in reply.text
    assert "follow up by email or set up a meeting" in reply.text
    assert count(session, LiveChat) == 0
    assert conversation(session, prompt.conversation_id).status == "active"


def test_closed_hours_name_the_next_opening(session: Session) -> None:
    closed_today = (NOW.weekday() + 3) % 7  # a day that is not today
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[closed_today]
    engine = desk_engine(f"{day} 09:00-17:00")
    lead = known_lead(session)
    prompt = start(engine, session, lead)
    reply = say(engine, session, prompt, "human")
    assert "Our team is back" in reply.text
    assert "09:00 (UTC time)" in reply.text


def test_a_qualifying_web_chat_in_hours_ends_with_the_live_offer(session: Session) -> None:
    engine = desk_engine()
    lead = known_lead(session)
    prompt = start(engine, session, lead)
    prompt = qualify(engine, session, prompt)
    assert prompt.outcome is not None
    assert prompt.offer == OFFER_LIVE
    # Outside hours the same chat ends without it.
    closed = desk_engine("never")
    other = start(closed, session, known_lead(session))
    other = qualify(closed, session, other)
    assert other.offer is None


def test_the_bot_is_silent_while_a_person_owns_the_chat(session: Session) -> None:
    engine = desk_engine()
    conversation_id, chat = ask_for_human(session, engine)
    before = len(messages(session, conversation_id))
    first = live.post_prospect_message(
        session=session,
        conversation_id=conversation_id,
        text="Are you there?",
        turn_id="w1",
        now=NOW,
    )
    again = live.post_prospect_message(
        session=session,
        conversation_id=conversation_id,
        text="Are you there?",
        turn_id="w1",
        now=NOW,
    )
    assert first is not None and again is not None and again.id == first.id
    after = messages(session, conversation_id)
    assert len(after) == before + 1
    assert after[-1].author == "prospect" and after[-1].direction == "in"
    # The engine, asked directly, writes nothing and does not answer the question.
    prompt = engine.advance(
        session=session,
        conversation_id=conversation_id,
        text="$50k",
        turn_id="w2",
        given_by=GivenBy.PROSPECT,
    )
    assert prompt.done
    assert len(messages(session, conversation_id)) == before + 1
    relays = session.exec(select(OutboxItem).where(OutboxItem.topic == "live.message")).all()
    assert [r.payload["seq"] for r in relays] == [first.seq]


def test_no_open_live_chat_means_the_bot_answers(session: Session) -> None:
    engine = desk_engine()
    lead = known_lead(session)
    prompt = start(engine, session, lead)
    stored = live.post_prospect_message(
        session=session, conversation_id=prompt.conversation_id, text="hi", turn_id="x", now=NOW
    )
    assert stored is None
    assert count(session, Message, conversation_id=prompt.conversation_id) == 1


def test_take_say_hand_back(session: Session) -> None:
    engine = desk_engine()
    sdr = make_user(session, role=Role.SDR, name="Alex Doe", email="alex@baton.example")
    session.commit()
    conversation_id, chat = ask_for_human(session, engine)
    assert chat.id is not None
    taken = live.take_chat(session=session, live_chat_id=chat.id, user=sdr, now=NOW)
    assert taken.status == rows.LIVE and taken.owner_user_id == sdr.id
    joined = messages(session, conversation_id)[-1]
    assert joined.author == "system" and joined.text.startswith("Alex Doe from our team")
    # Taking the chat claimed the unowned lead (MQL → SAL, audited).
    row = session.get(Lead, chat.lead_id, populate_existing=True)
    assert row is not None and row.owner_id == sdr.id and row.stage is Stage.SAL
    assert session.exec(
        select(StageChange).where(
            StageChange.lead_id == chat.lead_id, StageChange.to_stage == Stage.SAL
        )
    ).first()
    said = live.post_sdr_message(
        session=session,
        live_chat_id=chat.id,
        user=sdr,
        text="Hi, I'm Alex!",
        message_key="171.1",
        now=NOW,
    )
    twice = live.post_sdr_message(
        session=session,
        live_chat_id=chat.id,
        user=sdr,
        text="Hi, I'm Alex!",
        message_key="171.1",
        now=NOW,
    )
    assert twice.id == said.id and said.author == "sdr" and said.author_user_id == sdr.id
    state = live.live_state(session=session, conversation_id=conversation_id)
    assert state is not None and state.status == "live" and state.agent == "Alex Doe"
    live.hand_back(session=session, engine=engine, live_chat_id=chat.id, user=sdr, now=NOW)
    row_c = conversation(session, conversation_id)
    assert row_c.status == "active" and row_c.state == "need"
    tail = messages(session, conversation_id)[-2:]
    assert tail[0].author == "system" and "handed the chat back" in tail[0].text
    assert tail[1].author == "bot" and tail[1].payload is not None
    assert tail[1].payload["step_id"] == "need"
    # The bot answers again.
    prompt = engine.current(session=session, conversation_id=conversation_id)
    reply = say(engine, session, prompt, QUALIFIED["need"])
    assert reply.step_id == "budget"


def test_only_the_owner_speaks_and_a_waiting_chat_is_taken_first(session: Session) -> None:
    engine = desk_engine()
    owner = make_user(session, role=Role.SDR)
    other = make_user(session, role=Role.SDR)
    session.commit()
    _, chat = ask_for_human(session, engine)
    assert chat.id is not None
    with pytest.raises(live.ChatNotOpen, match="Take the chat first"):
        live.post_sdr_message(
            session=session, live_chat_id=chat.id, user=owner, text="hi", message_key="1", now=NOW
        )
    live.take_chat(session=session, live_chat_id=chat.id, user=owner, now=NOW)
    with pytest.raises(live.ChatAlreadyTaken):
        live.take_chat(session=session, live_chat_id=chat.id, user=other, now=NOW)
    with pytest.raises(live.ChatAlreadyTaken):
        live.post_sdr_message(
            session=session, live_chat_id=chat.id, user=other, text="hi", message_key="2", now=NOW
        )


def test_an_inactive_user_cannot_take(session: Session) -> None:
    engine = desk_engine()
    inactive = make_user(session, role=Role.SDR)
    inactive.active = False
    session.add(inactive)
    session.commit()
    _, chat = ask_for_human(session, engine)
    assert chat.id is not None
    with pytest.raises(PermissionDenied):
        live.take_chat(session=session, live_chat_id=chat.id, user=inactive, now=NOW)


async def test_two_sdrs_taking_at_once_one_wins(db_engine: Engine) -> None:
    engine = desk_engine()
    with Session(db_engine, expire_on_commit=False) as session:
        first = make_user(session, role=Role.SDR)
        second = make_user(session, role=Role.SDR)
        session.commit()
        conversation_id, chat = ask_for_human(session, engine)
        assert chat.id is not None and first.id is not None and second.id is not None
        chat_id, first_id, second_id = chat.id, first.id, second.id

    def take(user_id: int) -> str:
        with Session(db_engine, expire_on_commit=False) as s:
            user = s.get(User, user_id)
            assert user is not None
            try:
                live.take_chat(session=s, live_chat_id=chat_id, user=user, now=NOW)
                return "won"
            except live.ChatAlreadyTaken:
                return "told"

    results = await asyncio.gather(
        asyncio.to_thread(take, first_id), asyncio.to_thread(take, second_id)
    )
    assert sorted(results) == ["told", "won"]
    with Session(db_engine) as session:
        joined = session.exec(
            select(Message).where(
                Message.conversation_id == conversation_id, Message.author == "system"
            )
        ).all()
        assert len(joined) == 1
        assert count(session, OutboxItem, topic="live.taken") == 1


def test_nobody_takes_it_in_time(session: Session) -> None:
    engine = desk_engine()
    conversation_id, chat = ask_for_human(session, engine)
    assert live.expire_unanswered(session=session, engine=engine, now=NOW) == []
    late = chat.answer_by + timedelta(seconds=1)
    assert live.expire_unanswered(session=session, engine=engine, now=late) == [chat.id]
    assert live.expire_unanswered(session=session, engine=engine, now=late) == []  # once
    session.rollback()
    row = rows.get_live_chat(session=session, live_chat_id=chat.id or 0)
    assert row.status == rows.MISSED and row.end_reason == "missed"
    tail = messages(session, conversation_id)[-2:]
    assert tail[0].author == "system" and "busy right now" in tail[0].text
    assert tail[0].payload is not None and tail[0].payload["offer"] == OFFER_FOLLOWUP
    assert tail[1].author == "bot" and tail[1].payload is not None
    assert conversation(session, conversation_id).status == "active"  # the bot carries on
    assert count(session, OutboxItem, topic="live.ended") == 1


def test_end_chat_finishes_the_conversation(session: Session) -> None:
    engine = desk_engine()
    sdr = make_user(session, role=Role.SDR)
    session.commit()
    conversation_id, chat = ask_for_human(session, engine)
    assert chat.id is not None
    live.take_chat(session=session, live_chat_id=chat.id, user=sdr, now=NOW)
    live.end_chat(session=session, engine=engine, live_chat_id=chat.id, user=sdr, now=NOW)
    assert conversation(session, conversation_id).status == "completed"
    assert (
        live.post_prospect_message(
            session=session, conversation_id=conversation_id, text="hello?", turn_id="z", now=NOW
        )
        is None
    )
    with pytest.raises(live.ChatNotOpen):
        live.end_chat(session=session, engine=engine, live_chat_id=chat.id, user=sdr, now=NOW)


def test_follow_up_needs_an_email_and_records_the_wish(session: Session) -> None:
    engine = desk_engine("never")
    lead = known_lead(session, email=None)
    prompt = start(engine, session, lead)
    with pytest.raises(InvalidInput, match="email"):
        live.request_follow_up(
            session=session,
            conversation_id=prompt.conversation_id,
            kind="email",
            email=None,
            now=NOW,
        )
    with pytest.raises(InvalidInput, match="does not look right"):
        live.request_follow_up(
            session=session,
            conversation_id=prompt.conversation_id,
            kind="email",
            email="nope",
            now=NOW,
        )
    follow = live.request_follow_up(
        session=session,
        conversation_id=prompt.conversation_id,
        kind="meeting",
        email="Grace@Navy.example",
        now=NOW,
    )
    assert follow.cause == "offline" and follow.kind == "meeting"
    session.rollback()
    row = session.get(Lead, lead.id, populate_existing=True)
    assert row is not None and row.email == "grace@navy.example"
    assert count(session, FollowUp) == 1
    assert count(session, OutboxItem, topic="followup.requested") == 1


def test_the_live_offer_after_a_finished_chat(session: Session) -> None:
    engine = desk_engine()
    lead = known_lead(session)
    prompt = start(engine, session, lead)
    prompt = qualify(engine, session, prompt)
    chat = live.request_live_chat(
        session=session, engine=engine, conversation_id=prompt.conversation_id, now=NOW
    )
    again = live.request_live_chat(
        session=session, engine=engine, conversation_id=prompt.conversation_id, now=NOW
    )
    assert again.id == chat.id and chat.resume_step is None
    assert conversation(session, prompt.conversation_id).status == "human"
    closed = desk_engine("never")
    other = start(closed, session, known_lead(session))
    other = qualify(closed, session, other)
    with pytest.raises(live.ChatNotOpen, match="Nobody from our team is online"):
        live.request_live_chat(
            session=session, engine=closed, conversation_id=other.conversation_id, now=NOW
        )


def test_a_visitor_who_turns_out_to_be_known_keeps_the_live_chat_on_the_merged_lead(
    session: Session,
) -> None:
    engine = desk_engine()
    known = known_lead(session, email="grace@navy.example")
    anonymous = make_lead(session, name="", email=None, company_name="")
    prompt = start(engine, session, anonymous)
    assert prompt.step_id == "name"
    say(engine, session, prompt, "talk to a human")
    chat = rows.open_live_chat_of(session=session, conversation_id=prompt.conversation_id)
    assert chat is not None and chat.id is not None
    session.rollback()
    late = chat.answer_by + timedelta(seconds=1)
    assert live.expire_unanswered(session=session, engine=engine, now=late) == [chat.id]
    rows.add_follow_up(
        session=session,
        lead_id=chat.lead_id,
        conversation_id=prompt.conversation_id,
        live_chat_id=chat.id,
        kind="meeting",
        cause="missed",
        now=late,
    )
    session.commit()
    resumed = engine.current(session=session, conversation_id=prompt.conversation_id)
    assert resumed.step_id == "name"
    asked = say(engine, session, resumed, "Grace Hopper")
    assert asked.step_id == "email"
    say(engine, session, asked, "grace@navy.example")
    session.rollback()
    moved = rows.get_live_chat(session=session, live_chat_id=chat.id)
    assert moved.lead_id == known.id
    follow = session.exec(select(FollowUp)).one()
    assert follow.lead_id == known.id
    assert session.get(Lead, anonymous.id) is None


def test_the_turn_that_opened_the_chat_is_the_bots_to_repeat(session: Session) -> None:
    engine = desk_engine()
    lead = known_lead(session)
    prompt = start(engine, session, lead)
    say(engine, session, prompt, "talk to a human", turn_id="opened")
    # The same delivery again, now that a live chat is open: not a message to the person.
    again = live.post_prospect_message(
        session=session,
        conversation_id=prompt.conversation_id,
        text="talk to a human",
        turn_id="opened",
        now=NOW,
    )
    assert again is None
    assert count(session, Message, conversation_id=prompt.conversation_id, direction="in") == 1


# --- a lead leaving sales' hands ends its live chat -------------------------------------------


def test_returning_the_lead_to_nurture_ends_its_live_chat(session: Session) -> None:
    engine = desk_engine()
    sdr = make_user(session, role=Role.SDR, name="Alex Doe", email="alex.nurture@baton.example")
    session.commit()
    conversation_id, chat = ask_for_human(session, engine)
    assert chat.id is not None
    live.take_chat(session=session, live_chat_id=chat.id, user=sdr, now=NOW)
    version = conversation(session, conversation_id).version

    return_to_nurture(session=session, lead_id=chat.lead_id, user=sdr, reason="no budget")
    session.commit()

    ended = rows.get_live_chat(session=session, live_chat_id=chat.id)
    assert (ended.status, ended.end_reason, ended.ended_by) == ("ended", "ended", sdr.email)
    notice = messages(session, conversation_id)[-1]
    assert notice.author == "system"
    assert notice.text == "Alex Doe has ended the chat. Thank you for talking with us!"
    assert notice.payload == {"live": {"event": "ended", "agent": "Alex Doe"}, "offer": None}
    finished = conversation(session, conversation_id)
    assert finished.status == "completed" and finished.version == version + 1
    closed = session.exec(select(OutboxItem).where(OutboxItem.topic == "live.ended")).one()
    assert closed.payload == {"live_chat_id": chat.id, "reason": "ended"}  # the Slack card
    lead = session.get(Lead, chat.lead_id, populate_existing=True)
    assert lead is not None and lead.stage is Stage.NURTURE
    state = live.live_state(session=session, conversation_id=conversation_id)
    assert state is not None and state.status == "ended"
    # The prospect's next message is no longer for a person.
    assert (
        live.post_prospect_message(
            session=session, conversation_id=conversation_id, text="hello?", turn_id="n1", now=NOW
        )
        is None
    )


def test_disqualifying_ends_a_waiting_chat_in_the_moves_own_transaction(session: Session) -> None:
    engine = desk_engine()
    conversation_id, chat = ask_for_human(session, engine)
    assert chat.id is not None
    said = len(messages(session, conversation_id))
    lead = session.get(Lead, chat.lead_id)
    assert lead is not None

    def disqualify() -> None:
        move_stage(
            session=session,
            lead=lead,
            event=StageEvent.DISQUALIFY,
            actor=Actor.system("review"),
            reason="a competitor",
        )

    disqualify()
    session.rollback()  # the caller gave up: the chat is as it was
    assert rows.get_live_chat(session=session, live_chat_id=chat.id).status == rows.WAITING
    assert len(messages(session, conversation_id)) == said
    assert conversation(session, conversation_id).status == "human"
    assert count(session, OutboxItem, topic="live.ended") == 0

    disqualify()
    session.commit()
    ended = rows.get_live_chat(session=session, live_chat_id=chat.id)
    assert (ended.status, ended.ended_by) == ("ended", "review")
    notice = messages(session, conversation_id)[-1]
    assert notice.text == "Our team has ended the chat. Thank you for talking with us!"
    assert conversation(session, conversation_id).status == "completed"
    assert count(session, OutboxItem, topic="live.ended") == 1
    # Nobody can take it any more.
    sdr = make_user(session, role=Role.SDR)
    session.commit()
    with pytest.raises(live.ChatNotOpen):
        live.take_chat(session=session, live_chat_id=chat.id, user=sdr, now=NOW)


def test_a_rejected_handoff_that_returns_the_lead_to_nurture_ends_the_chat(
    session: Session,
) -> None:
    engine = desk_engine()
    rules = replace(
        default_rules(), rejected_handoff_goes_to=Stage.NURTURE, auto_approve_above=None
    )
    sdr = make_user(session, role=Role.SDR, name="Alex Doe")
    boss = make_user(session, role=Role.MANAGER, name="Mona Manager")
    session.commit()
    conversation_id, chat = ask_for_human(session, engine)
    assert chat.id is not None
    live.take_chat(session=session, live_chat_id=chat.id, user=sdr, now=NOW)
    request, _created = ask_for_handoff(
        session=session, lead_id=chat.lead_id, user=sdr, rules=rules
    )
    session.commit()
    assert request.id is not None

    decide_handoff(
        session=session,
        request_id=request.id,
        approve=False,
        user=boss,
        comment="not now",
        rules=rules,
    )
    session.commit()
    ended = rows.get_live_chat(session=session, live_chat_id=chat.id)
    assert (ended.status, ended.ended_by) == ("ended", boss.email)
    assert messages(session, conversation_id)[-1].text.startswith("Mona Manager has ended")
    assert conversation(session, conversation_id).status == "completed"


def test_a_move_that_leaves_the_lead_with_sales_keeps_the_chat_open(session: Session) -> None:
    engine = desk_engine()
    sdr = make_user(session, role=Role.SDR)
    session.commit()
    _conversation_id, chat = ask_for_human(session, engine)
    assert chat.id is not None
    live.take_chat(session=session, live_chat_id=chat.id, user=sdr, now=NOW)  # MQL → SAL
    ask_for_handoff(session=session, lead_id=chat.lead_id, user=sdr, rules=default_rules())
    session.commit()
    assert rows.get_live_chat(session=session, live_chat_id=chat.id).status == rows.LIVE


def _wait_for_a_lock_wait(db_engine: Engine) -> None:
    """Until some session of this database waits for a row lock (another connection each time:
    PostgreSQL shows a transaction one snapshot of pg_stat_activity)."""
    for _ in range(500):
        with db_engine.connect() as conn:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        if waiting:
            return
        time.sleep(0.02)
    raise AssertionError("nobody waited for a lock")


def test_a_take_and_a_return_to_nurture_at_once_do_not_deadlock(db_engine: Engine) -> None:
    """The move holds the lead, then the chat's conversation; a take waits for the lead before
    it holds the conversation, so the two never wait for each other."""
    if not is_postgres(db_engine):
        pytest.skip("row locks are PostgreSQL's; SQLite serializes writers instead")
    engine = desk_engine()
    with Session(db_engine, expire_on_commit=False) as session:
        manager = make_user(session, role=Role.MANAGER, email="mona.locks@baton.example")
        sdr = make_user(session, role=Role.SDR)
        session.commit()
        _conversation_id, chat = ask_for_human(session, engine)  # an unowned MQL
        assert chat.id is not None and sdr.id is not None and manager.id is not None
        chat_id, lead_id, sdr_id, manager_id = chat.id, chat.lead_id, sdr.id, manager.id

    def take() -> str:
        with Session(db_engine, expire_on_commit=False) as s:
            taker = s.get(User, sdr_id)
            assert taker is not None
            try:
                live.take_chat(session=s, live_chat_id=chat_id, user=taker, now=NOW)
            except live.ChatNotOpen as refused:
                return str(refused)
            return "taken"

    pool = ThreadPoolExecutor(1)
    try:
        # Whatever happens, the mover's session ends (and its locks go) before the pool waits.
        with Session(db_engine, expire_on_commit=False) as mover:
            lead, boss = mover.get(Lead, lead_id), mover.get(User, manager_id)
            assert lead is not None and boss is not None
            lock_lead(session=mover, lead=lead)  # as the move does first
            taking = pool.submit(take)
            _wait_for_a_lock_wait(db_engine)  # the take waits for the lead
            return_to_nurture(session=mover, lead_id=lead_id, user=boss, reason="not now")
            mover.commit()
        assert taking.result(timeout=30) == "This chat has already ended."
    finally:
        pool.shutdown()
    with Session(db_engine) as session:
        ended = rows.get_live_chat(session=session, live_chat_id=chat_id)
        assert (ended.status, ended.ended_by) == ("ended", "mona.locks@baton.example")
        assert ended.owner_user_id is None  # the take lost: it found the chat ended
