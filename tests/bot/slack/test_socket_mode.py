"""`baton slack socket`, run as a real process against the fake Web API and Socket Mode servers."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from qualification.stages import Dimension, GivenBy, HandoffStatus, Role, Stage
from storage.answers import current_answers
from storage.handoffs import pending_handoff
from storage.models import Lead, OutboxItem
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.fake_socket import FakeSocket
from tests.bot.slack.signing import (
    SECRET,
    block_action,
    command_body,
    text_value,
    view_submission,
)
from tests.factories import make_lead, make_user

BATON = shutil.which("baton", path=str(Path(sys.executable).parent)) or "baton"
APP_TOKEN = "xapp-1-A0001-1-test"
APPROVALS = "CAPPROVE"


def _env(**values: str) -> dict[str, str]:
    """This environment without any Slack setting of the machine running the tests."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_SLACK_"))}
    return {**clean, **values}


def _slack_env(database_url: str, fake: FakeSlack) -> dict[str, str]:
    return _env(
        BATON_DATABASE_URL=database_url,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SECRET,
        BATON_SLACK_API_URL=fake.url,
        BATON_SLACK_APPROVAL_CHANNEL=APPROVALS,
    )


@dataclass
class SocketBaton:
    """A running `baton slack socket` process and the fakes it talks to."""

    process: asyncio.subprocess.Process
    slack: FakeSlack
    socket: FakeSocket
    stdout: Path
    stderr: Path

    def output(self) -> str:
        return self.stdout.read_text() + self.stderr.read_text()

    async def stop(self) -> int:
        """Ctrl-C, as a developer stops it; the exit status."""
        self.process.send_signal(signal.SIGINT)
        return await asyncio.wait_for(self.process.wait(), timeout=20)


@pytest.fixture
async def fake_socket() -> AsyncIterator[FakeSocket]:
    fake = FakeSocket()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def socket_baton(
    database_url: str, fake_slack: FakeSlack, fake_socket: FakeSocket, tmp_path: Path
) -> AsyncIterator[SocketBaton]:
    fake_slack.socket_url = fake_socket.url
    stdout, stderr = tmp_path / "stdout", tmp_path / "stderr"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = await asyncio.create_subprocess_exec(
            BATON,
            "slack",
            "socket",
            env=_slack_env(database_url, fake_slack),
            stdout=out,
            stderr=err,
        )
    baton = SocketBaton(process, fake_slack, fake_socket, stdout, stderr)
    try:
        waiting = asyncio.create_task(fake_socket.wait_connected())
        exited = asyncio.create_task(process.wait())
        await asyncio.wait({waiting, exited}, return_when=asyncio.FIRST_COMPLETED)
        if exited.done():
            waiting.cancel()
            pytest.fail(f"baton slack socket exited early:\n{baton.output()}")
        exited.cancel()
        await waiting
        yield baton
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_slash_command_and_modal_over_socket_mode(
    socket_baton: SocketBaton, db_engine: Engine
) -> None:
    with Session(db_engine, expire_on_commit=False) as session:
        make_user(session, slack_user_id="USDR1")
        lead = make_lead(session, email="dana@acme.io", name="Dana Scully")
    fakes = socket_baton

    # /qualify arrives as a slash_commands envelope; the ack carries its envelope id.
    command = dict(parse_qsl(command_body("USDR1", "dana@acme.io")))
    envelope = await fakes.socket.send("slash_commands", command)
    ack = await fakes.socket.ack_of(envelope)
    assert ack == {"envelope_id": envelope}
    (opened,) = await fakes.slack.wait_for("views.open")
    assert opened.params["trigger_id"] == "trigger-USDR1"
    assert opened.params["view"]["callback_id"] == "qualify"
    assert opened.params["view"]["private_metadata"] == f'{{"lead_id":{lead.id}}}'
    assert opened.token == "Bearer xoxb-test-token"
    (connection,) = fakes.slack.of("apps.connections.open")
    assert connection.token == f"Bearer {APP_TOKEN}"

    # A bad answer is refused in the ack's payload, as Slack expects for view submissions.
    form = {"step:budget": text_value("purple monkeys"), "notes": text_value("")}
    bad = view_submission("USDR1", "qualify", form, {"lead_id": lead.id})
    refused = await fakes.socket.ack_of(await fakes.socket.send("interactive", bad))
    assert refused["payload"]["response_action"] == "errors"
    assert list(refused["payload"]["errors"]) == ["step:budget"]
    with Session(db_engine, expire_on_commit=False) as session:
        assert current_answers(session=session, lead_id=lead.id or 0) == {}

    form = {
        "step:budget": text_value("about $30k a year"),
        "step:need": text_value("our reps spend hours on manual data entry"),
        "step:authority": text_value("I'm the VP of Sales and I sign off"),
        "step:timeline": text_value("next month"),
        "notes": text_value("good call"),
    }
    good = view_submission("USDR1", "qualify", form, {"lead_id": lead.id})
    stored = await fakes.socket.ack_of(await fakes.socket.send("interactive", good))
    assert "payload" not in stored or not stored["payload"]
    (dm,) = await fakes.slack.wait_for("chat.postMessage")
    assert dm.params["channel"] == "USDR1"
    with Session(db_engine, expire_on_commit=False) as session:
        answers = current_answers(session=session, lead_id=lead.id or 0)
    assert set(answers) == set(Dimension)
    assert {a.given_by for a in answers.values()} == {GivenBy.SDR}

    assert await fakes.stop() == 0
    assert "Socket Mode: connected to Acme as @baton" in fakes.output()
    assert "Socket Mode: stopped." in fakes.output()
    assert not fakes.socket.connected  # the websocket was closed, not dropped


async def test_the_outbox_is_delivered_by_the_socket_process(
    socket_baton: SocketBaton, db_engine: Engine
) -> None:
    with Session(db_engine, expire_on_commit=False) as session:
        make_user(session, slack_user_id="USDR1", name="Sam Sdr")
        make_user(session, slack_user_id="UBOSS", role=Role.MANAGER)
        lead = make_lead(session, name="Fox Mulder")
    fakes = socket_baton

    click = block_action("USDR1", "request_handoff", str(lead.id), channel="CDM", ts="9.9")
    ack = await fakes.socket.ack_of(await fakes.socket.send("interactive", click))
    assert ack["envelope_id"]
    posts = await fakes.slack.wait_for("chat.postMessage", 2)
    (card,) = [p for p in posts if p.params["channel"] == APPROVALS]
    assert "Fox Mulder" in str(card.params["blocks"])

    with Session(db_engine, expire_on_commit=False) as session:
        stored = session.get(Lead, lead.id)
        assert stored is not None and stored.stage is Stage.SAL
        request = pending_handoff(session=session, lead_id=lead.id or 0)
        assert request is not None and request.status is HandoffStatus.PENDING

    def undelivered() -> list[OutboxItem]:
        with Session(db_engine, expire_on_commit=False) as session:
            items = session.exec(select(OutboxItem)).all()
            assert items, "requesting a handoff queues outbox items"
            return [item for item in items if item.status != "done"]

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while undelivered():
        assert loop.time() < deadline, f"outbox not delivered: {undelivered()}"
        await asyncio.sleep(0.1)

    assert await fakes.stop() == 0


def _refused(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`baton slack socket` expected to refuse to start (killed if it runs on)."""
    return subprocess.run(
        [BATON, "slack", "socket"], env=env, capture_output=True, text=True, timeout=60
    )


def test_missing_credentials_are_named_and_nothing_starts(tmp_path: Path) -> None:
    database = tmp_path / "baton.db"
    env = _env(BATON_DATABASE_URL=f"sqlite:///{database}", SLACK_BOT_TOKEN="xoxb-test-token")
    result = _refused(env)
    assert result.returncode == 2
    named = result.stderr.split("in the environment")[0]
    assert "SLACK_APP_TOKEN" in named and "SLACK_SIGNING_SECRET" in named
    assert "SLACK_BOT_TOKEN" not in named
    assert result.stdout == ""
    assert not database.exists()  # refused before opening the database

    result = _refused(_env(BATON_DATABASE_URL=f"sqlite:///{database}"))
    assert result.returncode == 2
    assert "needs SLACK_APP_TOKEN, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET" in result.stderr


def test_a_bot_token_given_as_app_token_is_refused(tmp_path: Path) -> None:
    env = _env(
        BATON_DATABASE_URL=f"sqlite:///{tmp_path}/baton.db",
        SLACK_APP_TOKEN="xoxb-test-token",
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=SECRET,
    )
    result = _refused(env)
    assert result.returncode == 2
    assert "SLACK_APP_TOKEN must be an app-level token (xapp-" in result.stderr


def test_an_app_token_slack_refuses_stops_with_a_clear_error(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    fake_slack.socket_url = None  # Slack answers apps.connections.open with invalid_auth
    result = _refused(_slack_env(f"sqlite:///{tmp_path}/baton.db", fake_slack))
    assert result.returncode == 2
    assert "error: Slack refused SLACK_APP_TOKEN: invalid_auth" in result.stderr
    assert [c.method for c in fake_slack.calls] == ["auth.test", "apps.connections.open"]


async def test_ctrl_c_stops_it_while_the_websocket_cannot_be_opened(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    fake_slack.socket_url = f"ws://127.0.0.1:{closed.getsockname()[1]}/link"
    closed.close()  # nothing listens there: the client keeps retrying
    env = _slack_env(f"sqlite:///{tmp_path}/baton.db", fake_slack)
    process = await asyncio.create_subprocess_exec(
        BATON,
        "slack",
        "socket",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake_slack.wait_for("apps.connections.open", timeout=60)
        await asyncio.sleep(0.5)
        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), timeout=8)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode()
    assert "connected to" not in out.decode()
    assert "Socket Mode: stopped." in out.decode()
