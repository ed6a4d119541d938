"""Retention: transcripts that ended long ago are purged, the qualification record stays."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.widget.chat import open_chat, take_turn
from dialogs.engine import DialogEngine
from qualification.lifecycle import Actor
from qualification.stages import GivenBy, Role
from storage.models import (
    BantAnswer,
    Conversation,
    FollowUp,
    Lead,
    LiveChat,
    Message,
    RateLimitWindow,
    ScoreEntry,
    SlackThread,
    StageChange,
    Visitor,
)
from storage.privacy_log import erasure_log
from storage.retention import DAILY_KEY, purge_daily, purge_old_conversations
from storage.slack_threads import record_thread
from storage.widgets import create_widget
from tests.dialogs.helpers import QUALIFIED, known_lead
from tests.factories import make_user

DAYS = 730
# Purge "800 days from now", at 01:00 UTC (so that moment and five hours later are one UTC day,
# whatever time the suite runs): what happens today is then old, and what the engine dated
# `LATELY` (a day before that moment) is recent.
PURGE_AT = (datetime.now(UTC) + timedelta(days=800)).replace(
    hour=1, minute=0, second=0, microsecond=0
)
LATELY = PURGE_AT - timedelta(days=1)


@pytest.fixture
def rt(database_url: str) -> Iterator[Runtime]:
    runtime = build_runtime(Settings(database_url=database_url))
    yield runtime
    runtime.engine.dispose()


def _later(rt: Runtime) -> DialogEngine:
    return DialogEngine(flows=rt.flows, rules=rt.rules, clock=lambda: LATELY)


def _count(session: Session, model: type, *where: object) -> int:
    return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def _visitor_chat(rt: Runtime, page: str) -> int:
    """A website visitor who gives a name and email, then leaves; returns the visitor's id."""
    with rt.session() as session:
        widget = create_widget(session=session, flows=rt.flows)
        session.commit()
    view = open_chat(rt=rt, widget=widget, token=None, page_context={"url": page})
    prompt = view.prompt
    for text in ("Vic Visitor", f"vic{page[-1]}@example.org"):
        prompt = take_turn(
            rt=rt,
            widget=widget,
            token=view.token,
            turn_id=f"{page}-{text}",
            text=text,
            expected_version=prompt.version,
        ).prompt
    with rt.session() as session:
        visitor = session.exec(
            select(Visitor).where(Visitor.conversation_id == prompt.conversation_id)
        ).one()
        assert visitor.id is not None
        return visitor.id


def _seed(rt: Runtime) -> dict[str, int]:
    """Conversations that ended today (old at PURGE_AT) and lately (recent at PURGE_AT)."""
    ids: dict[str, int] = {}
    with rt.session() as session:
        sdr = make_user(session, role=Role.SDR)
        finished = known_lead(session)
        prompt = rt.dialogs.start(
            session=session,
            lead=finished,
            channel="slack",
            given_by=GivenBy.SDR,
            user_id=sdr.id,
            on_open=lambda tx, c: record_thread(
                session=tx, channel="D01", thread_ts="1.1", conversation_id=c.id or 0,
                user_id=sdr.id or 0,
            ),
        )  # fmt: skip
        ids["finished"] = prompt.conversation_id
        answers = {**QUALIFIED, "team_size": "250", "current_tool": "skip"}
        while not prompt.done:
            prompt = rt.dialogs.advance(
                session=session,
                conversation_id=prompt.conversation_id,
                text=answers.get(prompt.step_id or "", "yes"),
                turn_id=f"f-{prompt.version}",
                given_by=GivenBy.SDR,
                user_id=sdr.id,
                expected_version=prompt.version,
            )
        # Started today, answered lately: it has not ended long ago.
        ongoing = rt.dialogs.start(
            session=session, lead=known_lead(session), channel="web", given_by=GivenBy.PROSPECT
        )
        _later(rt).advance(
            session=session,
            conversation_id=ongoing.conversation_id,
            text=QUALIFIED["need"],
            turn_id="o-1",
            given_by=GivenBy.PROSPECT,
            expected_version=ongoing.version,
        )
        ids["ongoing"] = ongoing.conversation_id
        recent = _later(rt).start(
            session=session, lead=known_lead(session), channel="web", given_by=GivenBy.PROSPECT
        )
        ids["recent"] = recent.conversation_id
    ids["gone_visitor"] = _visitor_chat(rt, "https://www.example.com/a")
    ids["back_visitor"] = _visitor_chat(rt, "https://www.example.com/b")
    with rt.session() as session:  # this visitor came back lately, without chatting again
        session.execute(
            update(Visitor)
            .where(col(Visitor.id) == ids["back_visitor"])
            .values(last_seen_at=LATELY)
        )
        session.commit()
    return ids


def test_old_transcripts_go_and_the_qualification_record_stays(rt: Runtime) -> None:
    ids = _seed(rt)
    with rt.session() as session:
        answers = _count(session, BantAnswer)
        stages = _count(session, StageChange)
        ledger = _count(session, ScoreEntry)
        scores = session.exec(select(Lead.id, Lead.score).order_by(col(Lead.id))).all()
        old_messages = _count(
            session,
            Message,
            col(Message.conversation_id).not_in([ids["ongoing"], ids["recent"]]),
        )
        assert _count(session, Conversation) == 5 and answers >= 4

        dry = purge_old_conversations(session=session, now=PURGE_AT, days=DAYS, dry_run=True)
        session.rollback()
        assert _count(session, Conversation) == 5  # a dry run deletes nothing
        assert erasure_log(session=session) == []  # and logs nothing
        report = purge_old_conversations(session=session, now=PURGE_AT, days=DAYS)
        session.commit()

    assert dry.erasure_id is None and report.erasure_id is not None
    assert dataclasses.replace(dry, dry_run=False, erasure_id=report.erasure_id) == report
    assert report.conversations == 3 and report.messages == old_messages > 0
    assert report.slack_threads == 1 and report.visitors == 1
    assert report.answers_kept >= 4
    with rt.session() as session:
        left = session.exec(select(Conversation.id).order_by(col(Conversation.id))).all()
        assert left == [ids["ongoing"], ids["recent"]]
        assert _count(session, Message, col(Message.conversation_id).not_in(left)) == 0
        assert _count(session, Message, col(Message.conversation_id).in_(left)) > 0
        assert _count(session, SlackThread) == 0
        assert session.get(Visitor, ids["gone_visitor"]) is None
        back = session.get(Visitor, ids["back_visitor"])
        assert back is not None and back.conversation_id is None
        # Answers, stage history, ledger and scores are the qualification record: all kept.
        assert _count(session, BantAnswer) == answers
        assert _count(session, BantAnswer, col(BantAnswer.conversation_id).is_(None)) >= 4
        assert _count(session, StageChange) == stages
        assert _count(session, ScoreEntry) == ledger
        assert session.exec(select(Lead.id, Lead.score).order_by(col(Lead.id))).all() == scores

        again = purge_old_conversations(session=session, now=PURGE_AT, days=DAYS)
        session.commit()
        (entry,) = erasure_log(session=session)  # a purge that found nothing logs nothing
    assert again.conversations == again.messages == 0 and again.erasure_id is None
    # One entry for the purge: counts, the system as actor, no lead (it erased none).
    assert entry == {
        "id": report.erasure_id,
        "lead_id": None,
        "erased_at": PURGE_AT.isoformat(),
        "actor": "system:retention",
        "basis": "retention",
        "removed": {
            "conversations": 3,
            "messages": old_messages,
            "slack_threads": 1,
            "visitors": 1,
        },
    }


def test_a_live_chat_in_a_purged_conversation_goes_and_its_follow_up_stays(rt: Runtime) -> None:
    ids = _seed(rt)
    with rt.session() as session:
        finished = session.get(Conversation, ids["finished"])
        assert finished is not None
        lead_id = finished.lead_id
        chat = LiveChat(
            conversation_id=ids["finished"],
            lead_id=lead_id,
            status="ended",
            answer_by=datetime.now(UTC),
            source_page="https://www.example.com/pricing?email=someone@example.org",
        )
        session.add(chat)
        session.flush()
        follow_up = FollowUp(
            lead_id=lead_id,
            conversation_id=ids["finished"],
            live_chat_id=chat.id,
            kind="email",
            cause="ended",
        )
        session.add(follow_up)
        session.commit()
        dry = purge_old_conversations(session=session, now=PURGE_AT, days=DAYS, dry_run=True)
        session.rollback()
        report = purge_old_conversations(
            session=session, now=PURGE_AT, days=DAYS, actor=Actor.system("cli (ops)")
        )
        session.commit()
        assert dry.live_chats == report.live_chats == 1
        assert _count(session, LiveChat) == 0
        kept = session.get(FollowUp, follow_up.id)
        assert kept is not None and kept.lead_id == lead_id
        assert (kept.conversation_id, kept.live_chat_id) == (None, None)
        (entry,) = erasure_log(session=session)
    assert entry["removed"]["live_chats"] == 1 and entry["actor"] == "system:cli (ops)"


def test_the_daily_purge_runs_once_a_day_across_processes(rt: Runtime) -> None:
    ids = _seed(rt)
    with rt.session() as session:
        first = purge_daily(session=session, now=PURGE_AT, days=DAYS)
        session.commit()
        assert first is not None and first.conversations == 3
    # Another old chat appears; a second run the same day (another worker) leaves it.
    with rt.session() as session:
        late = rt.dialogs.start(
            session=session, lead=known_lead(session), channel="web", given_by=GivenBy.PROSPECT
        )
    with rt.session() as session:
        assert purge_daily(session=session, now=PURGE_AT + timedelta(hours=5), days=DAYS) is None
        session.commit()
        assert session.get(Conversation, late.conversation_id) is not None
        assert purge_daily(session=session, now=PURGE_AT, days=0) is None
        nxt = purge_daily(session=session, now=PURGE_AT + timedelta(days=1), days=DAYS)
        session.commit()
        assert nxt is not None and nxt.conversations == 1
        assert session.get(Conversation, late.conversation_id) is None
        assert session.get(Conversation, ids["recent"]) is not None
        claims = session.exec(
            select(RateLimitWindow.window_start).where(RateLimitWindow.key == DAILY_KEY)
        ).all()
    assert len(claims) == 2


def test_a_failed_purge_releases_the_day(rt: Runtime) -> None:
    _seed(rt)
    with rt.session() as session:
        assert purge_daily(session=session, now=PURGE_AT, days=DAYS) is not None
        session.rollback()  # e.g. the process died before committing
    with rt.session() as session:
        report = purge_daily(session=session, now=PURGE_AT, days=DAYS)
        session.commit()
    assert report is not None and report.conversations == 3


def test_keeping_transcripts_for_less_than_a_day_is_refused(rt: Runtime) -> None:
    with rt.session() as session, pytest.raises(ValueError, match="at least one day"):
        purge_old_conversations(session=session, now=PURGE_AT, days=0)
