"""Real `baton serve` processes: two servers sharing one conversation, and kill -9 mid-chat.

These start the CLI as a subprocess (see tests/bot/servers.py) and talk to it over loopback
HTTP, so they test what a deployment runs: uvicorn workers, connection pools, row locks and
crash recovery of the database, not an app object inside the test process.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.runtime import load_flows_from
from bot.settings import Settings
from storage.db import create_db_engine
from storage.models import BantAnswer, Conversation, Message, SlackEvent
from storage.widgets import create_widget
from tests.bot.servers import BatonServer, run_cli, server_env
from tests.bot.slack.fake_slack import Call, FakeSlack
from tests.bot.slack.signing import JSON, SECRET, TEAM, event_body, send
from tests.conftest import PostgresServer
from tests.factories import make_lead, make_user

TEST_SECONDS = 120  # a guard against hangs; each test takes 10-40 s
WIDGET = "site"


def _steps(count: int) -> str:
    return "\n".join(
        f"  - id: need_{n:02d}\n    dimension: need\n    kind: need\n"
        f"    question: What else is hard for your team? ({n})"
        for n in range(1, count + 1)
    )


# Every step records a need answer, so each applied turn leaves exactly one answer row; more
# steps than turns, so the chat never ends during a burst (a finished chat answers 200 without
# applying anything, which would blur "200 means applied").
NEED_STEPS = 90
MANY_NEEDS_FLOW = f"""\
id: many-needs
version: "1"
greeting: Hello!
closing:
  handoff: Thanks, we will call you.
  nurture: Thanks, we will write to you.
  disqualify: Thanks for your time.
  human: A person will answer here.
steps:
{_steps(NEED_STEPS)}
"""


@dataclass
class Servers:
    """Started servers, stopped (and their logs kept for a failure report) at the end."""

    started: list[BatonServer]
    tmp: Path

    def new(self, env: dict[str, str], *, workers: int = 1) -> BatonServer:
        server = BatonServer(
            env=env, log=self.tmp / f"server-{len(self.started)}.log", workers=workers
        )
        self.started.append(server)
        return server

    async def start(self, env: dict[str, str], *, workers: int = 1) -> BatonServer:
        server = self.new(env, workers=workers)
        await server.run()
        return server

    def assert_no_tracebacks(self) -> None:
        for server in self.started:
            assert "Traceback" not in server.output(), server.report()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Servers]:
    started = Servers(started=[], tmp=tmp_path)
    try:
        yield started
    finally:
        for server in started.started:
            server.stop()
        # Captured, so pytest shows the servers' logs only when the test failed.
        sys.stdout.write("".join(server.report() for server in started.started))


def _create_widget(url: str, *, flow_id: str | None = None, flow_file: Path | None = None) -> None:
    """The widget the visitor chats in, made by the service `baton widget create` calls."""
    settings = Settings(database_url=url, flow_files=[flow_file] if flow_file else [])
    flows = load_flows_from(settings)
    with _engine(url) as engine:
        with Session(engine) as session:
            create_widget(
                session=session, flows=flows, public_id=WIDGET, settings={"flow_id": flow_id}
            )
            session.commit()


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = create_db_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def blank_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database without any schema: a new SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/baton.db"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create()
    try:
        yield url
    finally:
        server.drop(url)


# --- two servers, one conversation ---------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    server: int
    turn_id: str
    text: str
    expected_version: int | None
    delay: float


@dataclass(frozen=True)
class Result:
    delivery: Delivery
    status: int
    body: dict[str, Any]


def _burst(rng: random.Random, *, distinct: int, repeated: int) -> list[Delivery]:
    """`distinct` turns spread over both servers, and `repeated` turn ids each sent to both
    servers (at once, or the second a few milliseconds later); all within about a second."""
    deliveries: list[Delivery] = []
    for n in range(distinct + repeated):
        turn_id = f"burst-{n:02d}"
        text = f"Our reps copy leads into spreadsheets by hand, case {n}"
        delay = rng.uniform(0.0, 1.0)
        stale = 1 if n % 9 == 4 else None  # a client still showing the first question
        if n < repeated:
            lag = 0.0 if n % 2 else rng.uniform(0.0, 0.05)
            deliveries.append(Delivery(0, turn_id, text, None, delay))
            deliveries.append(Delivery(1, turn_id, text, None, delay + lag))
        else:
            deliveries.append(Delivery(n % 2, turn_id, text, stale, delay))
    rng.shuffle(deliveries)
    return deliveries


async def _send(client: httpx.AsyncClient, base: str, token: str, delivery: Delivery) -> Result:
    await asyncio.sleep(delivery.delay)
    response = await client.post(
        f"{base}/widget/{WIDGET}/turn",
        json={
            "token": token,
            "turn_id": delivery.turn_id,
            "text": delivery.text,
            "expected_version": delivery.expected_version,
        },
    )
    body = response.json() if response.headers.get("content-type") == "application/json" else {}
    return Result(delivery, response.status_code, body or {"raw": response.text})


async def test_two_servers_serialize_the_turns_of_one_conversation(
    blank_url: str, servers: Servers, tmp_path: Path
) -> None:
    """Turns of one conversation racing on two servers: each is applied once or refused with
    409, never half-applied, doubled or failed."""
    flow = tmp_path / "many-needs.yaml"
    flow.write_text(MANY_NEEDS_FLOW)
    env = server_env(BATON_DATABASE_URL=blank_url, BATON_FLOW_FILES=f'["{flow}"]')
    async with asyncio.timeout(TEST_SECONDS):
        # On PostgreSQL both servers upgrade the blank database at once (they take turns on an
        # advisory lock). On SQLite the second would wait at most the busy timeout (5 s), which
        # a loaded machine can exceed, so `baton db upgrade` goes first.
        first = servers.new(env, workers=2 if blank_url.startswith("postgres") else 1)
        second = servers.new(env)
        if blank_url.startswith("sqlite"):
            await run_cli(env, "db", "upgrade")
        await asyncio.gather(first.run(), second.run())
        _create_widget(blank_url, flow_id="many-needs", flow_file=flow)
        bases = [first.url, second.url]

        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(timeout=30.0, limits=limits) as client:
            opened = await client.post(f"{first.url}/widget/{WIDGET}/session", json={})
            assert opened.status_code == 200, opened.text
            token = opened.json()["token"]
            conversation_id = opened.json()["prompt"]["conversation_id"]
            assert opened.json()["prompt"]["step_id"] == "need_01"

            deliveries = _burst(random.Random(7), distinct=24, repeated=12)
            outcomes = await asyncio.gather(
                *(_send(client, bases[d.server], token, d) for d in deliveries)
            )

            unexpected = [(o.delivery, o.status, o.body) for o in outcomes if o.status != 200]
            unexpected = [u for u in unexpected if u[1] != 409]
            assert unexpected == [], unexpected
            for refused in (o for o in outcomes if o.status == 409):
                assert refused.body["error"] == "ConcurrentTurn", refused.body
            replies: dict[str, list[dict[str, Any]]] = {}
            for outcome in outcomes:
                if outcome.status == 200:
                    replies.setdefault(outcome.delivery.turn_id, []).append(outcome.body)
            applied = set(replies)
            refused_ids = {o.delivery.turn_id for o in outcomes} - applied
            assert applied, "no turn was applied at all"
            for turn_id, bodies in replies.items():
                assert all(body == bodies[0] for body in bodies), (turn_id, bodies)

            # The conversation is not wedged: the next turn applies and asks the next step.
            after = await client.post(
                f"{second.url}/widget/{WIDGET}/turn",
                json={"token": token, "turn_id": "after-burst", "text": "Slow follow-ups"},
            )
            assert after.status_code == 200, after.text
            assert after.json()["prompt"]["step_id"] == f"need_{len(applied) + 2:02d}"

        with _engine(blank_url) as engine:
            with Session(engine) as session:
                conversation = session.get(Conversation, conversation_id)
                assert conversation is not None
                inbound = session.exec(
                    select(Message)
                    .where(Message.conversation_id == conversation_id, Message.direction == "in")
                    .order_by(col(Message.seq))
                ).all()
                answers = session.exec(
                    select(BantAnswer)
                    .where(BantAnswer.conversation_id == conversation_id)
                    .order_by(col(BantAnswer.id))
                ).all()
        turn_ids = [m.turn_id for m in inbound]
        assert Counter(turn_ids).most_common(1)[0][1] == 1, turn_ids
        assert set(turn_ids) == {f"web:{t}" for t in applied} | {"web:after-burst"}
        assert not {f"web:{t}" for t in refused_ids} & set(turn_ids)
        assert conversation.version == 1 + len(applied) + 1
        assert conversation.state == f"need_{len(applied) + 2:02d}"

        # Each applied turn answered the step it found, in the order the turns were applied.
        texts = {d.turn_id: d.text for d in deliveries} | {"after-burst": "Slow follow-ups"}
        in_order = [texts[(m.turn_id or "").removeprefix("web:")] for m in inbound]
        assert [(a.step_id, a.raw_text) for a in answers] == [
            (f"need_{n:02d}", text) for n, text in enumerate(in_order, start=1)
        ]
        assert [a.superseded for a in answers] == [True] * len(in_order[:-1]) + [False]
        for turn_id, bodies in replies.items():
            position = in_order.index(texts[turn_id]) + 1
            assert bodies[0]["prompt"]["step_id"] == f"need_{position + 1:02d}"
            assert bodies[0]["prompt"]["version"] == 1 + position

    servers.assert_no_tracebacks()


# --- kill -9 in the middle of a widget chat ------------------------------------------------

ANSWERS = {
    "name": "Dana Scully",
    "email": "dana@acme.io",
    "company": "Acme Analytics",
    "need": "our reps spend hours on manual data entry",
    "budget": "about $30k a year",
    "authority": "I'm the VP of Sales and I sign off",
    "decision_maker": "our CFO",
    "decision_maker_joins": "yes",
    "timeline": "next month",
    "team_size": "about 250",
    "current_tool": "A CRM",
}


async def _open(client: httpx.AsyncClient, base: str, token: str | None = None) -> dict[str, Any]:
    response = await client.post(f"{base}/widget/{WIDGET}/session", json={"token": token})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _turn(
    client: httpx.AsyncClient, base: str, token: str, turn_id: str, text: str
) -> httpx.Response:
    return await client.post(
        f"{base}/widget/{WIDGET}/turn", json={"token": token, "turn_id": turn_id, "text": text}
    )


async def _finish(
    client: httpx.AsyncClient, base: str, token: str, prompt: dict[str, Any], *, prefix: str
) -> dict[str, Any]:
    """Answer every question (by step, from ANSWERS) until the chat ends; the last prompt."""
    for n in range(25):
        if prompt["done"]:
            return prompt
        response = await _turn(client, base, token, f"{prefix}-{n}", ANSWERS[prompt["step_id"]])
        assert response.status_code == 200, response.text
        prompt = response.json()["prompt"]
    raise AssertionError(f"the chat did not end; last prompt: {prompt}")


def _transcript(url: str, conversation_id: int) -> tuple[Conversation, list[Message]]:
    with _engine(url) as engine:
        with Session(engine) as session:
            conversation = session.get(Conversation, conversation_id)
            assert conversation is not None
            messages = session.exec(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(col(Message.seq))
            ).all()
            return conversation, list(messages)


def _current_answers(url: str, conversation_id: int) -> dict[str, BantAnswer]:
    with _engine(url) as engine:
        with Session(engine) as session:
            rows = session.exec(
                select(BantAnswer)
                .where(
                    BantAnswer.conversation_id == conversation_id,
                    col(BantAnswer.superseded).is_(False),
                )
                .order_by(col(BantAnswer.id))
            ).all()
            return {row.dimension.value: row for row in rows}


async def test_a_widget_chat_resumes_after_kill_9(database_url: str, servers: Servers) -> None:
    """Every answered turn is committed before its reply: a crash loses none of them."""
    env = server_env(BATON_DATABASE_URL=database_url)
    async with asyncio.timeout(TEST_SECONDS):
        _create_widget(database_url)
        server = await servers.start(env)
        async with httpx.AsyncClient(timeout=30.0) as client:
            opened = await _open(client, server.url)
            token = opened["token"]
            conversation_id = opened["prompt"]["conversation_id"]
            assert opened["prompt"]["step_id"] == "name"
            for step in ("name", "email"):
                answered = await _turn(client, server.url, token, f"first-{step}", ANSWERS[step])
                assert answered.status_code == 200, answered.text

            server.kill()
            restarted = await servers.start(env)

            resumed = await _open(client, restarted.url, token)
            assert resumed["token"] == token
            said = [item["text"] for item in resumed["history"] if item["direction"] == "in"]
            assert said == [ANSWERS["name"], ANSWERS["email"]]
            assert resumed["prompt"]["step_id"] == "company"
            assert resumed["prompt"]["version"] == 3
            # A client that never saw the reply sends the last turn again: nothing changes.
            again = await _turn(client, restarted.url, token, "first-email", ANSWERS["email"])
            assert again.status_code == 200, again.text
            assert again.json()["prompt"]["step_id"] == "company"

            last = await _finish(client, restarted.url, token, resumed["prompt"], prefix="then")
        assert last["outcome"] == "handoff", last

    conversation, messages = _transcript(database_url, conversation_id)
    assert conversation.status == "completed"
    inbound = [m.text for m in messages if m.direction == "in"]
    assert inbound[:3] == [ANSWERS["name"], ANSWERS["email"], ANSWERS["company"]]
    assert conversation.version == 1 + len(inbound)
    answers = _current_answers(database_url, conversation_id)
    assert {d: a.raw_text for d, a in answers.items()} == {
        d: ANSWERS[d] for d in ("need", "budget", "authority", "timeline")
    }
    servers.assert_no_tracebacks()


@dataclass(frozen=True)
class Sent:
    turn_id: str
    text: str
    status: int | None  # None: no answer came (the server died)
    body: dict[str, Any]


async def _try_turn(
    client: httpx.AsyncClient, base: str, token: str, turn_id: str, text: str
) -> Sent:
    try:
        response = await _turn(client, base, token, turn_id, text)
    except httpx.TransportError:
        return Sent(turn_id, text, None, {})
    body = response.json() if response.headers.get("content-type") == "application/json" else {}
    return Sent(turn_id, text, response.status_code, body or {"raw": response.text})


async def test_a_kill_9_during_a_burst_of_turns_loses_no_acknowledged_turn(
    database_url: str, servers: Servers
) -> None:
    """A turn answered 200 survives the crash; one that got no answer may or may not have been
    applied, and sending it again tells which, without applying anything twice."""
    env = server_env(BATON_DATABASE_URL=database_url)
    async with asyncio.timeout(TEST_SECONDS):
        _create_widget(database_url)
        server = await servers.start(env)
        async with httpx.AsyncClient(timeout=30.0) as client:
            opened = await _open(client, server.url)
            token = opened["token"]
            conversation_id = opened["prompt"]["conversation_id"]
            for step in ("name", "email"):
                answered = await _turn(client, server.url, token, f"first-{step}", ANSWERS[step])
                assert answered.status_code == 200, answered.text

            # A visitor's burst (double clicks, a flaky network's retries); the server dies as
            # soon as the first answer is out, with the rest in flight.
            burst = [(f"burst-{n:02d}", f"Acme Analytics {n}") for n in range(12)]
            tasks = [
                asyncio.create_task(_try_turn(client, server.url, token, turn_id, text))
                for turn_id, text in burst
            ]
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            server.kill()
            sent = await asyncio.gather(*tasks)
            assert {s.status for s in sent} <= {200, 409, None}, sent
            acknowledged = {s.turn_id for s in sent if s.status == 200}
            refused = {s.turn_id for s in sent if s.status == 409}
            assert acknowledged, sent

            restarted = await servers.start(env)
            conversation, messages = _transcript(database_url, conversation_id)
            inbound = [m for m in messages if m.direction == "in"]
            stored = [(m.turn_id or "").removeprefix("web:") for m in inbound]
            assert len(stored) == len(set(stored)), stored
            assert acknowledged <= set(stored), (acknowledged, stored)
            assert not refused & set(stored), (refused, stored)
            assert conversation.version == 1 + len(inbound)
            replies = {m.turn_id: m.payload for m in messages if m.direction == "out"}

            resumed = await _open(client, restarted.url, token)
            said = [item["text"] for item in resumed["history"] if item["direction"] == "in"]
            assert said == [m.text for m in inbound]
            assert resumed["prompt"]["version"] == conversation.version
            assert resumed["prompt"]["text"] == messages[-1].text

            # The client sends again every turn it got no answer for: one that was applied
            # before the crash returns its reply, any other is applied now or refused.
            for lost in (s for s in sent if s.status is None):
                again = await _try_turn(client, restarted.url, token, lost.turn_id, lost.text)
                assert again.status in (200, 409), again
                reply = replies.get(f"web:{lost.turn_id}")
                if reply is not None:
                    assert again.status == 200, again
                    assert again.body["prompt"]["version"] == reply["version"]
                    assert again.body["prompt"]["text"] == reply["text"]
                if again.status == 200:
                    acknowledged.add(lost.turn_id)
            conversation, messages = _transcript(database_url, conversation_id)
            inbound = [m for m in messages if m.direction == "in"]
            stored = [(m.turn_id or "").removeprefix("web:") for m in inbound]
            assert sorted(stored) == sorted({"first-name", "first-email"} | acknowledged)
            assert conversation.version == 1 + len(inbound)

            resumed = await _open(client, restarted.url, token)
            last = await _finish(client, restarted.url, token, resumed["prompt"], prefix="then")
        assert last["outcome"] is not None, last

    conversation, messages = _transcript(database_url, conversation_id)
    assert conversation.status == "completed"
    assert set(_current_answers(database_url, conversation_id)) == {
        "need",
        "budget",
        "authority",
        "timeline",
    }
    servers.assert_no_tracebacks()


# --- kill -9 in the middle of a Slack DM qualification --------------------------------------

SDR = "USDR"
DM = "D0SDR"
SLACK_ANSWERS = {
    "need": "our reps spend hours on manual data entry",
    "budget": "about $30k a year",
    "authority": "I'm the VP of Sales and I sign off",
    "timeline": "next month",
    "current_tool": "none",
}
_slack_ids = itertools.count(1)


def _dm(text: str, *, thread_ts: str | None = None) -> dict[str, Any]:
    """A `message.im` event from the SDR, as the Events API sends it."""
    ts = f"1700001000.{next(_slack_ids):06d}"
    event: dict[str, Any] = {
        "type": "message",
        "channel": DM,
        "channel_type": "im",
        "user": SDR,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "client_msg_id": str(uuid.uuid4()),
        "team": TEAM["id"],
    }
    if thread_ts is not None:
        event.update(thread_ts=thread_ts, parent_user_id=SDR)
    return event


async def _deliver(client: httpx.AsyncClient, event: dict[str, Any]) -> None:
    body = event_body(f"Ev{next(_slack_ids):08d}", event)
    response = await send(client, body, JSON)
    assert response.status_code == 200, response.text


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    fake.start()
    yield fake
    fake.stop()


async def test_a_slack_dm_qualification_resumes_after_kill_9(
    database_url: str, servers: Servers, fake_slack: FakeSlack
) -> None:
    """The SDR's answers before the crash stay; the thread goes on on the restarted server.

    Here the crash comes once each next question is out; for one right after Slack's 200, see
    the test below.
    """
    env = server_env(
        BATON_DATABASE_URL=database_url,
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SECRET,
        BATON_SLACK_API_URL=fake_slack.url,
    )
    with _engine(database_url) as engine:
        with Session(engine, expire_on_commit=False) as session:
            make_user(session, slack_user_id=SDR, name="Sam Sdr")
            lead = make_lead(session, email="dana@acme.io", name="Dana Scully")
    async with asyncio.timeout(TEST_SECONDS):
        server = await servers.start(env)
        async with httpx.AsyncClient(base_url=server.url, timeout=30.0) as client:
            start = _dm("qualify dana@acme.io")
            await _deliver(client, start)
            thread = start["ts"]
            posts = await fake_slack.wait_for("chat.postMessage", 1)
            for n, step in enumerate(("need", "budget"), start=2):
                await _deliver(client, _dm(SLACK_ANSWERS[step], thread_ts=thread))
                posts = await fake_slack.wait_for("chat.postMessage", n)
            assert "your role" in str(posts[-1].params["blocks"])

        server.kill()
        restarted = await servers.start(env)
        async with httpx.AsyncClient(base_url=restarted.url, timeout=30.0) as client:
            for step in ("authority", "timeline", "current_tool"):
                await _deliver(client, _dm(SLACK_ANSWERS[step], thread_ts=thread))
                posts = await fake_slack.wait_for("chat.postMessage", len(posts) + 1)
        assert posts[-1].params["thread_ts"] == thread
        assert posts[-1].params["text"].startswith("Call logged: recommendation "), posts[-1]

    with _engine(database_url) as engine:
        with Session(engine) as session:
            conversation = session.exec(
                select(Conversation).where(Conversation.lead_id == lead.id)
            ).one()
            inbound = session.exec(
                select(Message.text)
                .where(Message.conversation_id == conversation.id, Message.direction == "in")
                .order_by(col(Message.seq))
            ).all()
    assert conversation.status == "completed"
    assert list(inbound) == list(SLACK_ANSWERS.values())
    answers = _current_answers(database_url, conversation.id or 0)
    assert {d: a.raw_text for d, a in answers.items()} == {
        d: SLACK_ANSWERS[d] for d in ("need", "budget", "authority", "timeline")
    }
    servers.assert_no_tracebacks()


def _ok_posts(fake_slack: FakeSlack) -> list[Call]:
    return [call for call in fake_slack.of("chat.postMessage") if call.ok]


async def _wait_for_ok_posts(fake_slack: FakeSlack, count: int, timeout: float) -> list[Call]:
    """Until Baton has posted `count` messages that Slack accepted (failed calls not counted)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(_ok_posts(fake_slack)) < count:
        assert loop.time() < deadline, [c.method for c in fake_slack.calls]
        await asyncio.sleep(0.05)
    return _ok_posts(fake_slack)


async def test_a_slack_answer_acknowledged_just_before_kill_9_is_kept_and_answered(
    database_url: str, servers: Servers, fake_slack: FakeSlack
) -> None:
    """Slack's 200 means the answer is stored: a kill -9 right after it loses nothing, Slack's
    retry of the event applies nothing twice, and the restarted server posts the next question
    that the dead one never posted (the reply waits in the outbox)."""
    env = server_env(
        BATON_DATABASE_URL=database_url,
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SECRET,
        BATON_SLACK_API_URL=fake_slack.url,
    )
    with _engine(database_url) as engine:
        with Session(engine, expire_on_commit=False) as session:
            make_user(session, slack_user_id=SDR, name="Sam Sdr")
            lead = make_lead(session, email="dana@acme.io", name="Dana Scully")
    async with asyncio.timeout(TEST_SECONDS):
        server = await servers.start(env)
        async with httpx.AsyncClient(base_url=server.url, timeout=30.0) as client:
            start = _dm("qualify dana@acme.io")
            await _deliver(client, start)
            thread = start["ts"]
            await _wait_for_ok_posts(fake_slack, 1, timeout=10.0)
            # Slack refuses the next post, so the question surely has not gone out when the
            # server dies (whether or not it got to try).
            fake_slack.fail_next("chat.postMessage", status=500)
            event_id = f"Ev{next(_slack_ids):08d}"
            answer = event_body(event_id, _dm(SLACK_ANSWERS["need"], thread_ts=thread))
            acknowledged = await send(client, answer, JSON)
            assert acknowledged.status_code == 200, acknowledged.text
        server.kill()  # right after Slack got its 200

        with _engine(database_url) as engine:
            with Session(engine) as session:
                conversation = session.exec(
                    select(Conversation).where(Conversation.lead_id == lead.id)
                ).one()
                said = session.exec(
                    select(Message.text).where(
                        Message.conversation_id == conversation.id, Message.direction == "in"
                    )
                ).all()
                claimed = session.exec(
                    select(SlackEvent).where(SlackEvent.event_id == event_id)
                ).all()
        assert list(said) == [SLACK_ANSWERS["need"]]
        assert len(claimed) == 1  # claimed with the answer, in the same transaction

        restarted = await servers.start(env)
        async with httpx.AsyncClient(base_url=restarted.url, timeout=30.0) as client:
            retry_headers = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
            retried = await send(client, answer, JSON, headers=retry_headers)
            assert retried.status_code == 200, retried.text
            # The restarted server's outbox worker posts the question the dead one did not.
            posts = await _wait_for_ok_posts(fake_slack, 2, timeout=60.0)
            question = posts[1]
            assert question.params["channel"] == DM and question.params["thread_ts"] == thread
            assert "budget in mind" in str(question.params["blocks"]), question.params
            for n, step in enumerate(("budget", "authority", "timeline", "current_tool"), 3):
                await _deliver(client, _dm(SLACK_ANSWERS[step], thread_ts=thread))
                posts = await _wait_for_ok_posts(fake_slack, n, timeout=20.0)
        assert posts[-1].params["thread_ts"] == thread
        assert posts[-1].params["text"].startswith("Call logged: recommendation "), posts[-1]
        # Each reply was posted once: the question delivered late was not posted again.
        assert len(_ok_posts(fake_slack)) == 6
        assert sum("budget in mind" in str(p.params["blocks"]) for p in posts) == 1

    with _engine(database_url) as engine:
        with Session(engine) as session:
            conversation = session.exec(
                select(Conversation).where(Conversation.lead_id == lead.id)
            ).one()
            inbound = session.exec(
                select(Message.text)
                .where(Message.conversation_id == conversation.id, Message.direction == "in")
                .order_by(col(Message.seq))
            ).all()
    assert conversation.status == "completed"
    assert list(inbound) == list(SLACK_ANSWERS.values())
    restarted_log = restarted.output()
    assert "Traceback" not in restarted_log, restarted.report()
