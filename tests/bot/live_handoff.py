"""Helpers of the live handoff end-to-end tests: `baton serve` with Slack pointed at the fake
Slack Web API server, the people of the SDR team, what the fake Slack was sent, and requests
signed as Slack signs them."""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from sqlmodel import Session, col, select

from bot.slack.live_blocks import TAKE
from dialogs.flow import FlowRegistry, default_flow
from qualification.stages import Role
from storage.accounts import set_password
from storage.db import create_db_engine
from storage.models import Message
from storage.widgets import create_widget
from tests.bot.servers import server_env
from tests.bot.slack.fake_slack import Call, FakeSlack
from tests.bot.slack.signing import (
    SECRET,
    block_action,
    event_body,
    interaction_body,
    signature,
)
from tests.factories import make_user

WIDGET = "site"
SDR_CHANNEL = "CSDR"
APPROVAL_CHANNEL = "CAPPROVE"
SDR = ("USDR", "Sam Sdr")
SECOND_SDR = ("USDR2", "Sue Second")
MANAGER_EMAIL = "mia.manager@example.com"
PASSWORD = "correct horse battery staple"
_events = itertools.count(1)
T = TypeVar("T")


def live_env(database_url: str, slack: FakeSlack, **extra: str) -> dict[str, str]:
    """The environment of a `baton serve` with Slack on (the fake), live chat around the clock
    and its own outbox worker, as an operator would configure it."""
    return server_env(
        BATON_DATABASE_URL=database_url,
        SLACK_BOT_TOKEN="xoxb-live-handoff-e2e",
        SLACK_SIGNING_SECRET=SECRET,
        BATON_SLACK_API_URL=slack.url,
        BATON_SLACK_SDR_CHANNEL=SDR_CHANNEL,
        BATON_SLACK_APPROVAL_CHANNEL=APPROVAL_CHANNEL,
        BATON_LIVE_CHAT_HOURS="24/7",
        BATON_OUTBOX_WORKER="true",
        BATON_LIVE_POLL_SECONDS="0.1",
        BATON_SECRET_KEY=secrets.token_urlsafe(48),
        **extra,
    )


def prepare(database_url: str, *, origins: list[str]) -> None:
    """The widget (allowed on `origins`), two SDRs known to Slack, a manager with a password."""
    engine = create_db_engine(database_url)
    with Session(engine) as session:
        create_widget(
            session=session,
            flows=FlowRegistry([default_flow()]),
            public_id=WIDGET,
            settings={"allowed_origins": origins, "name": "Acme"},
        )
        session.commit()
        for slack_id, name in (SDR, SECOND_SDR):
            make_user(session, slack_user_id=slack_id, name=name)
        manager = make_user(session, role=Role.MANAGER, name="Mia Manager", email=MANAGER_EMAIL)
        set_password(session=session, user=manager, password=PASSWORD)
        session.commit()
    engine.dispose()


def messages_of(database_url: str, conversation_id: int) -> list[tuple[str, str]]:
    """(author, text) of the conversation's messages, in order."""
    engine = create_db_engine(database_url)
    with Session(engine) as session:
        found = session.exec(
            select(Message.author, Message.text)
            .where(Message.conversation_id == conversation_id)
            .order_by(col(Message.seq))
        ).all()
        rows = [(str(author), str(text)) for author, text in found]
    engine.dispose()
    return rows


# --- what the fake Slack was sent --------------------------------------------------------------


def posted_to(slack: FakeSlack, channel: str) -> list[Call]:
    """Top-level messages Slack accepted in `channel`."""
    return [
        c
        for c in slack.of("chat.postMessage")
        if c.ok and c.params.get("channel") == channel and not c.params.get("thread_ts")
    ]


def in_thread(slack: FakeSlack, ts: str) -> list[Call]:
    """Messages Slack accepted in the thread of the message `ts`, in order."""
    return [c for c in slack.of("chat.postMessage") if c.ok and c.params.get("thread_ts") == ts]


def buttons(call: Call) -> dict[str, dict[str, Any]]:
    """The message's buttons by action id."""
    return {
        element["action_id"]: element
        for block in call.params.get("blocks") or []
        if block["type"] == "actions"
        for element in block["elements"]
    }


def blocks_of(call: Call) -> str:
    return json.dumps(call.params.get("blocks") or [], ensure_ascii=False)


def ts_of(call: Call) -> str:
    """The ts Slack gave the posted message."""
    return str(call.answer["ts"])


def live_cards(slack: FakeSlack) -> list[Call]:
    """Request cards in the SDR channel (those with Take it)."""
    return [c for c in posted_to(slack, SDR_CHANNEL) if TAKE in buttons(c)]


# --- waiting ------------------------------------------------------------------------------------


def until(check: Callable[[], T | None], what: str, timeout: float = 20.0) -> T:
    """Poll `check` until it returns something truthy; that value (fails saying `what`)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


async def until_async(check: Callable[[], T | None], what: str, timeout: float = 20.0) -> T:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = check()
        if found:
            return found
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


# --- what Slack sends ---------------------------------------------------------------------------


def signed_headers(body: str, content_type: str) -> dict[str, str]:
    ts = str(int(time.time()))
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature(SECRET, ts, body),
    }


def click_body(
    user: str, action_id: str, value: object, *, ts: str, thread_ts: str | None = None
) -> str:
    """A button click on a message in the SDR channel (in a thread when `thread_ts`)."""
    payload = block_action(user, action_id, str(value), channel=SDR_CHANNEL, ts=ts)
    if thread_ts is not None:
        payload["message"]["thread_ts"] = thread_ts
    return interaction_body(payload)


def reply_event(user: str, text: str, *, thread_ts: str) -> dict[str, Any]:
    """A `message` event: `user` replied in the thread `thread_ts` of the SDR channel."""
    ts = f"1700003000.{next(_events):06d}"
    return {
        "type": "message",
        "channel": SDR_CHANNEL,
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "thread_ts": thread_ts,
        "parent_user_id": "UBOT",
        "team": "T0001",
    }


def new_event_body(event: dict[str, Any]) -> str:
    """`event` as an Events API delivery under a new event id."""
    return event_body(f"EvE2E{next(_events):08d}", event)


def send_signed(
    client: httpx.Client, body: str, content_type: str, *, retry: int | None = None
) -> None:
    """Post a signed request to /slack/events (a Slack retry when `retry` is given)."""
    headers = signed_headers(body, content_type)
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    response = client.post("/slack/events", content=body.encode(), headers=headers)
    assert response.status_code == 200, response.text


async def send_signed_async(client: httpx.AsyncClient, body: str, content_type: str) -> None:
    response = await client.post(
        "/slack/events", content=body.encode(), headers=signed_headers(body, content_type)
    )
    assert response.status_code == 200, response.text
