"""Helpers of the live chat tests: a web prospect who asks for a human, clicks and thread
replies as Slack sends them, and what Slack and the database hold afterwards."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot.slack.live_blocks import TAKE
from dialogs import live
from qualification.stages import GivenBy, Role
from storage import live_chats as rows
from storage.leads import get_lead
from storage.models import Conversation, LiveChat, Message, OutboxItem, SlackPost
from storage.slack_posts import posts_for
from storage.visitor_chats import link_conversation
from storage.visitors import open_visitor
from storage.widgets import ensure_demo_widget
from tests.bot.slack.conftest import SDR_CHANNEL, SlackBaton, running, slack_settings
from tests.bot.slack.fake_slack import Call, FakeSlack
from tests.bot.slack.signing import (
    FORM,
    JSON,
    TEAM,
    block_action,
    event_body,
    interaction_body,
    send,
)
from tests.factories import make_user

NAME = "<script>alert(1)</script> *Dana* <!channel>"
COMPANY = "Acme & <Co>"
NEED = "Manual data entry eats our week *bold* <!channel> <script>x</script>"
PAGE = "https://acme.example/pricing?plan=<b>pro</b>"
_ids = itertools.count(1)


@pytest.fixture
async def baton(database_url: str, fake_slack: FakeSlack) -> AsyncIterator[SlackBaton]:
    """Slack on, an SDR channel, and live chat hours around the clock."""
    settings = slack_settings(database_url, fake_slack, live_chat_hours="24/7")
    async with running(settings, fake_slack) as started:
        yield started


@dataclass(frozen=True)
class Chat:
    lead_id: int
    conversation_id: int
    live_chat_id: int


def people(baton: SlackBaton) -> None:
    with baton.runtime.session() as session:
        make_user(session, slack_user_id="USDR", name="Sam Sdr")
        make_user(session, slack_user_id="USDR2", name="Sue Second")
        make_user(session, slack_user_id="UBOSS", role=Role.MANAGER, name="Mia Manager")


def web_chat(baton: SlackBaton, *, need: str = NEED) -> Chat:
    """A widget visitor on PAGE answers the first questions (`need` to the need question),
    then asks for a human."""
    rt = baton.runtime
    with rt.session() as session:
        widget = ensure_demo_widget(session=session, origin="https://acme.example")
        visitor, _ = open_visitor(
            session=session, widget=widget, token=None, page_context={"url": PAGE}
        )
        session.commit()

        def link(tx: Session, conversation: Conversation) -> None:
            assert link_conversation(
                session=tx, visitor=visitor, conversation_id=conversation.id or 0, replacing=None
            )

        lead = get_lead(session=session, lead_id=visitor.lead_id)
        prompt = rt.dialogs.start(
            session=session, lead=lead, channel="web", given_by=GivenBy.PROSPECT, on_open=link
        )
        for text in (NAME, "dana@acme.example", COMPANY, need, "talk to a human"):
            prompt = rt.dialogs.advance(
                session=session,
                conversation_id=prompt.conversation_id,
                text=text,
                turn_id=f"w{next(_ids)}",
                given_by=GivenBy.PROSPECT,
            )
        assert prompt.done
        chat = rows.open_live_chat_of(session=session, conversation_id=prompt.conversation_id)
        assert chat is not None and chat.id is not None and chat.resume_step == "budget"
        return Chat(
            lead_id=lead.id or 0, conversation_id=prompt.conversation_id, live_chat_id=chat.id
        )


async def requested(baton: SlackBaton) -> tuple[Chat, Call]:
    """People exist, a prospect asked for a human, and the card is in the SDR channel."""
    people(baton)
    chat = web_chat(baton)
    await baton.deliver()
    (card,) = posted_to(baton, SDR_CHANNEL)
    return chat, card


async def taken(baton: SlackBaton, user: str = "USDR") -> tuple[Chat, Call, Call]:
    """… and `user` took it; returns the chat, its card and the owner's controls."""
    chat, card = await requested(baton)
    await press(baton, user, TAKE, chat.live_chat_id, ts=card_ts(card))
    await until(lambda: stored_chat(baton, chat).status == rows.LIVE)
    await baton.deliver()
    (controls,) = in_thread(baton, card)
    return chat, card, controls


# --- what Slack and the database hold -------------------------------------------------------


def posted_to(baton: SlackBaton, channel: str) -> list[Call]:
    """Top-level messages Slack accepted in `channel`."""
    return [
        c
        for c in baton.slack.of("chat.postMessage")
        if c.ok and c.params["channel"] == channel and not c.params.get("thread_ts")
    ]


def in_thread(baton: SlackBaton, card: Call) -> list[Call]:
    """Messages Slack accepted in the card's thread, in order."""
    return [
        c
        for c in baton.slack.of("chat.postMessage")
        if c.ok and c.params.get("thread_ts") == card_ts(card)
    ]


def card_ts(card: Call) -> str:
    """The ts Slack gave the posted message."""
    return str(card.answer["ts"])


def blocks_of(call: Call) -> str:
    return json.dumps(call.params["blocks"], ensure_ascii=False)


def buttons(call: Call) -> dict[str, dict[str, Any]]:
    return {
        element["action_id"]: element
        for block in call.params["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    }


def stored_chat(baton: SlackBaton, chat: Chat) -> LiveChat:
    with baton.runtime.session() as session:
        return rows.get_live_chat(session=session, live_chat_id=chat.live_chat_id)


def conversation_of(baton: SlackBaton, chat: Chat) -> Conversation:
    with baton.runtime.session() as session:
        row = session.get(Conversation, chat.conversation_id)
        assert row is not None
        return row


def transcript(baton: SlackBaton, chat: Chat) -> list[Message]:
    with baton.runtime.session() as session:
        query = (
            select(Message)
            .where(Message.conversation_id == chat.conversation_id)
            .order_by(col(Message.seq))
        )
        return list(session.exec(query).all())


def posts(baton: SlackBaton, subject: str, subject_id: int) -> list[SlackPost]:
    with baton.runtime.session() as session:
        return posts_for(session=session, subject=subject, subject_id=subject_id)


def outbox(baton: SlackBaton, topic: str) -> list[OutboxItem]:
    with baton.runtime.session() as session:
        query = select(OutboxItem).where(OutboxItem.topic == topic).order_by(col(OutboxItem.id))
        return list(session.exec(query).all())


async def until(check: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


# --- what Slack sends ---------------------------------------------------------------------


async def press(
    baton: SlackBaton,
    user: str,
    action_id: str,
    value: object,
    *,
    ts: str,
    thread_ts: str | None = None,
) -> None:
    """A button click on a message in the SDR channel (in a thread when `thread_ts`)."""
    payload = block_action(user, action_id, str(value), channel=SDR_CHANNEL, ts=ts)
    if thread_ts is not None:
        payload["message"]["thread_ts"] = thread_ts
    response = await send(baton.client, interaction_body(payload), FORM)
    assert response.status_code == 200


def thread_reply(user: str, text: str, *, thread_ts: str, **extra: Any) -> dict[str, Any]:
    """A `message` event: someone replied in a thread of the SDR channel."""
    ts = f"1700002000.{next(_ids):06d}"
    event: dict[str, Any] = {
        "type": "message",
        "channel": SDR_CHANNEL,
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "thread_ts": thread_ts,
        "parent_user_id": "UBOT",
        "team": TEAM["id"],
    }
    event.update(extra)
    return event


async def deliver_event(baton: SlackBaton, event: dict[str, Any]) -> None:
    """One delivery of `event`, under a new event id."""
    response = await send(baton.client, event_body(f"Ev{next(_ids):08d}", event), JSON)
    assert response.status_code == 200


def prospect_says(baton: SlackBaton, chat: Chat, *texts: str) -> None:
    with baton.runtime.session() as session:
        for text in texts:
            stored = live.post_prospect_message(
                session=session,
                conversation_id=chat.conversation_id,
                text=text,
                turn_id=f"p{next(_ids)}",
                now=datetime.now(UTC),
            )
            assert stored is not None


def relayed(baton: SlackBaton, card: Call) -> list[str]:
    return [
        c.params["text"]
        for c in in_thread(baton, card)
        if c.params["text"].startswith("*Prospect:*")
    ]
