"""The widget's live stream on real servers: server-sent events over HTTP, woken through the
database when another process writes (a subprocess, another `baton serve`)."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlmodel import Session

from bot.app import create_app
from bot.widget.guard import WidgetLimits
from dialogs import live
from dialogs.flow import FlowRegistry, default_flow
from qualification.stages import Role
from storage import live_chats as rows
from storage.db import create_db_engine
from storage.widgets import create_widget
from tests.bot.servers import ROOT, BatonServer, server_env
from tests.bot.widget.helpers import answer, open_session
from tests.bot.widget.test_live import (
    WIDGET,
    add_site_widget,
    live_settings,
    open_chat_of,
    sdr,
    take,
)
from tests.conftest import dispose_when_idle
from tests.factories import make_user

# Writes an SDR's message through the service from a process of its own (its own engine and
# connections), as a Slack event handled by another worker would.
SDR_WRITER = """
import sys
from datetime import UTC, datetime
from sqlmodel import Session
from dialogs import live
from storage.db import create_db_engine
from storage.models import User

url, chat_id, user_id, text, key = sys.argv[1:]
engine = create_db_engine(url)
with Session(engine, expire_on_commit=False) as session:
    user = session.get(User, int(user_id))
    message = live.post_sdr_message(
        session=session, live_chat_id=int(chat_id), user=user, text=text, message_key=key,
        now=datetime.now(UTC),
    )
    print(message.seq)
engine.dispose()
"""


@dataclass(frozen=True)
class Event:
    name: str
    id: int | None
    data: dict[str, Any]


class Events:
    """Reads server-sent events off a streaming response; counts comment lines and keeps the
    latest `live` state seen while waiting for a message."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()
        self.comments = 0
        self.last_state: dict[str, Any] | None = None

    async def next(self, timeout: float = 10.0) -> Event:
        name, event_id, data = "message", None, list[str]()
        async with asyncio.timeout(timeout):
            while True:
                line = await anext(self._lines)
                if line.startswith(":"):
                    self.comments += 1
                    continue
                if line == "":
                    if data:
                        return Event(name, event_id, json.loads("\n".join(data)))
                    continue
                field, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if field == "event":
                    name = value
                elif field == "id":
                    event_id = int(value)
                elif field == "data":
                    data.append(value)

    async def message(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next message (its id is its seq); `live` events on the way are kept."""
        while True:
            event = await self.next(timeout)
            if event.name == "live":
                self.last_state = event.data
                continue
            assert event.name == "message", event
            assert event.id == event.data["seq"]
            return event.data

    async def state(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next event, which must be a `live` one."""
        event = await self.next(timeout)
        assert event.name == "live", event
        self.last_state = event.data
        return event.data

    async def no_message_within(self, seconds: float) -> None:
        with pytest.raises(TimeoutError):
            await self.message(timeout=seconds)

    async def end(self, timeout: float = 10.0) -> None:
        """The server ends the stream (no further message)."""
        with pytest.raises(StopAsyncIteration):
            await self.message(timeout)


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """`app` under uvicorn in a thread, with its lifespan (the stream hub runs)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        started = time.monotonic()
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
        # Closed streams ended with their clients: nothing held the shutdown up.
        assert time.monotonic() - started < 3, "a stream outlived its client"


@pytest.fixture
def limits() -> WidgetLimits:
    return WidgetLimits()


@pytest.fixture
def live_app(database_url: str, limits: WidgetLimits) -> Iterator[FastAPI]:
    app = create_app(live_settings(database_url), widget_limits=limits)
    add_site_widget(app.state.runtime)
    yield app
    dispose_when_idle(app.state.runtime.engine)


@pytest.fixture
async def served(live_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    with serving(live_app) as url:
        async with httpx.AsyncClient(base_url=url, timeout=10.0) as client:
            yield client


@asynccontextmanager
async def stream(client: httpx.AsyncClient, token: str, after: int) -> AsyncIterator[Events]:
    async with client.stream(
        "POST", f"/widget/{WIDGET}/stream", json={"token": token, "after": after}
    ) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        yield Events(response)


async def write_in_another_process(
    database_url: str, chat_id: int, user_id: int, text: str, key: str
) -> int:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SDR_WRITER,
        database_url,
        str(chat_id),
        str(user_id),
        text,
        key,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    return int(out.decode().strip())


async def ask_for_a_person(client: httpx.AsyncClient) -> tuple[str, int, dict[str, Any]]:
    opened = await open_session(client, WIDGET)
    token = opened["token"]
    named = await answer(client, WIDGET, token, "Sam Stream", version=opened["prompt"]["version"])
    assert named.status_code == 200, named.text
    asked = await answer(client, WIDGET, token, "talk to a human")
    assert asked.status_code == 200, asked.text
    return token, opened["prompt"]["conversation_id"], asked.json()


# --- one server --------------------------------------------------------------------------------


async def test_the_stream_delivers_each_message_once_in_order_whoever_writes_it(
    served: httpx.AsyncClient, live_app: FastAPI, database_url: str
) -> None:
    rt = live_app.state.runtime
    token, conversation_id, asked = await ask_for_a_person(served)
    alex = sdr(rt)
    assert alex.id is not None
    chat = open_chat_of(rt, conversation_id)
    assert chat.id is not None

    async with stream(served, token, asked["reply_seq"]) as events:
        first = await events.state()
        assert first["live"]["status"] == "waiting" and first["prompt"]["done"] is True
        take(rt, chat, alex)
        joined = await events.message()
        assert joined["event"] == "joined" and joined["seq"] == asked["reply_seq"] + 1
        assert (await events.state())["live"] == {
            "id": chat.id,
            "status": "live",
            "agent": "Alex Doe",
        }
        seq = await write_in_another_process(
            database_url, chat.id, alex.id, "Hello from Slack <b>", "173.5"
        )
        said = await events.message()
        assert (said["seq"], said["author"], said["agent"], said["text"]) == (
            seq,
            "sdr",
            "Alex Doe",
            "Hello from Slack <b>",
        )
        reply = await answer(served, WIDGET, token, "Hi Alex", turn_id="stream-hi")
        assert reply.json()["replied"] is False
        echoed = await events.message()
        assert (echoed["seq"], echoed["author"]) == (reply.json()["seq"], "prospect")
        await events.no_message_within(0.5)

    # Reconnecting after the join: exactly what came since, in order, then the state.
    async with stream(served, token, joined["seq"]) as events:
        assert [(await events.message())["seq"] for _ in range(2)] == [seq, echoed["seq"]]
        assert (await events.state())["live"]["status"] == "live"
        with rt.session() as session:
            live.hand_back(
                session=session,
                engine=rt.dialogs,
                live_chat_id=chat.id,
                user=alex,
                now=datetime.now(UTC),
            )
        handed = await events.message()
        question = await events.message()
        assert handed["event"] == "handed_back" and question["author"] == "bot"
        assert "work email" in question["text"]
        after = await events.state()
        assert after["live"]["status"] == "ended"
        assert after["prompt"]["step_id"] == "email" and after["prompt"]["done"] is False
    # The bot answers again.
    back = await answer(served, WIDGET, token, "sam@stream.io", version=after["prompt"]["version"])
    assert back.json()["replied"] is True and back.json()["prompt"]["step_id"] == "company"


@pytest.mark.parametrize("limits", [WidgetLimits(stream_seconds=1.5, heartbeat_seconds=0.2)])
async def test_an_idle_stream_is_kept_alive_and_ends_after_its_time(
    served: httpx.AsyncClient,
) -> None:
    opened = await open_session(served, WIDGET)
    started = time.monotonic()
    async with stream(served, opened["token"], 0) as events:
        greeting = await events.message()
        assert greeting["seq"] == 1 and greeting["author"] == "bot"
        assert (await events.state())["prompt"]["step_id"] == "name"
        await events.end(timeout=5)
        assert events.comments >= 3
    assert 1.4 < time.monotonic() - started < 4


async def test_a_stream_needs_the_visitors_token_and_an_allowed_origin(
    served: httpx.AsyncClient,
) -> None:
    opened = await open_session(served, WIDGET)
    url = f"/widget/{WIDGET}/stream"
    unknown = await served.post(url, json={"token": "made-up", "after": 0})
    assert unknown.status_code == 403
    foreign = await served.post(
        url,
        json={"token": opened["token"], "after": 0},
        headers={"origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    other_widget = await served.post(
        "/widget/demo/stream", json={"token": opened["token"], "after": 0}
    )
    assert other_widget.status_code == 403


# --- two `baton serve` processes on one database -----------------------------------------------


def _live_env(database_url: str) -> dict[str, str]:
    return server_env(
        BATON_DATABASE_URL=database_url,
        BATON_SLACK_BOT_TOKEN="xoxb-live-chat-test",
        BATON_SLACK_SIGNING_SECRET="live-chat-test-signing-secret",
        BATON_SLACK_SDR_CHANNEL="C0LIVECHAT",
        BATON_SLACK_API_URL="http://127.0.0.1:9/api/",
        BATON_LIVE_CHAT_HOURS="24/7",
        BATON_OUTBOX_WORKER="false",
        BATON_LIVE_POLL_SECONDS="0.1",
        BATON_SECRET_KEY=secrets.token_urlsafe(48),
    )


@pytest.fixture
def two_servers(database_url: str, tmp_path: Path) -> Iterator[tuple[BatonServer, BatonServer]]:
    engine = create_db_engine(database_url)
    with Session(engine) as session:
        create_widget(
            session=session, flows=FlowRegistry([default_flow()]), public_id=WIDGET, settings={}
        )
        session.commit()
    engine.dispose()
    env = _live_env(database_url)
    servers = (
        BatonServer(env=env, log=tmp_path / "a.log"),
        BatonServer(env=env, log=tmp_path / "b.log"),
    )
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()
        sys.stdout.write("".join(server.report() for server in servers))


async def test_a_stream_on_one_server_gets_what_another_server_and_process_wrote(
    two_servers: tuple[BatonServer, BatonServer], database_url: str
) -> None:
    first, second = two_servers
    for server in two_servers:
        server.start()
    await asyncio.gather(*(server.wait_ready() for server in two_servers))
    engine = create_db_engine(database_url)
    async with (
        httpx.AsyncClient(base_url=first.url, timeout=10.0) as a,
        httpx.AsyncClient(base_url=second.url, timeout=10.0) as b,
    ):
        token, conversation_id, asked = await ask_for_a_person(a)
        with Session(engine, expire_on_commit=False) as session:
            alex = make_user(session, role=Role.SDR, name="Alex Doe")
            chat = rows.open_live_chat_of(session=session, conversation_id=conversation_id)
            assert chat is not None and chat.id is not None and alex.id is not None
            session.commit()
        async with stream(a, token, asked["reply_seq"]) as events:
            assert (await events.state())["live"]["status"] == "waiting"
            typed = await answer(b, WIDGET, token, "Anyone there?", turn_id="via-b")
            assert typed.json()["replied"] is False
            mine = await events.message()
            assert (mine["seq"], mine["text"]) == (typed.json()["seq"], "Anyone there?")
            with Session(engine, expire_on_commit=False) as session:
                live.take_chat(
                    session=session, live_chat_id=chat.id, user=alex, now=datetime.now(UTC)
                )
            assert (await events.message())["event"] == "joined"
            assert (await events.state())["live"]["agent"] == "Alex Doe"
            seq = await write_in_another_process(
                database_url, chat.id, alex.id, "Yes, Alex here.", "174.2"
            )
            said = await events.message()
            assert (said["seq"], said["author"], said["text"]) == (seq, "sdr", "Yes, Alex here.")
            # Server A is told to stop: its stream ends at once and the process exits.
            assert first.process is not None
            stopping = time.monotonic()
            os.killpg(first.process.pid, signal.SIGTERM)
            await events.end(timeout=8)
            assert time.monotonic() - stopping < 8
        await asyncio.to_thread(first.process.wait, 10)  # not held up by the stream
        # The other server carries the chat on, from the last seq the client had.
        async with stream(b, token, mine["seq"]) as events:
            assert [(await events.message())["seq"] for _ in range(2)] == [said["seq"] - 1, seq]
            assert (await events.state())["live"]["status"] == "live"
    engine.dispose()
