"""A database that cannot be used: every endpoint answers 503 with Retry-After and no personal
data, nothing is half-written, logs carry no personal data, and once the database is back the
same widget turn is applied exactly once and a retried Slack event goes through."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import select

from bot.http_errors import DATABASE_RETRY_AFTER, database_unavailable
from bot.runtime import Runtime
from bot.settings import Settings
from qualification.stages import Role
from storage.apikeys import SCOPES, create_api_key
from storage.db import create_db_engine
from storage.models import Message, SlackEvent
from storage.widgets import create_widget
from tests.bot.dashboard.conftest import PASSWORD, Dashboard
from tests.bot.slack.conftest import listeners_done
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.signing import FORM, JSON, SECRET, command_body, event_body, send
from tests.conftest import BACKENDS
from tests.factories import make_lead, make_user
from tests.outages import app_on_downable_database

LEAD_EMAIL = "dana.outage@acme-corp.io"
VISITOR_EMAIL = "visitor.outage@acme-corp.io"
HTML = {"accept": "text/html,application/xhtml+xml"}
UNAVAILABLE = {
    "error": "ServiceUnavailable",
    "detail": "The database is unavailable; try again shortly.",
}


@dataclass
class Outage:
    """An app on a database of its own that the test can take away and bring back."""

    app: FastAPI
    client: httpx.AsyncClient
    slack: FakeSlack
    take_down: Callable[[], None]
    bring_back: Callable[[], None]

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime


def _settings(database_url: str, slack: FakeSlack) -> Settings:
    return Settings(
        database_url=database_url,
        outbox_worker=False,
        secret_key="k" * 16 + "test-secret-key-0123456789abcdef",
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SECRET,
        slack_api_url=slack.url,
    )


@asynccontextmanager
async def _outage(backend: str, request: pytest.FixtureRequest) -> AsyncIterator[Outage]:
    slack = FakeSlack()
    slack.start()
    try:
        settings = partial(_settings, slack=slack)
        with app_on_downable_database(backend, request, settings) as db:
            transport = httpx.ASGITransport(app=db.app, client=("203.0.113.9", 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as c:
                yield Outage(db.app, c, slack, db.take_down, db.bring_back)
                await listeners_done()  # Slack listeners go on after the test has its answer
    finally:
        slack.stop()


@pytest.fixture(params=BACKENDS)
async def outage(request: pytest.FixtureRequest) -> AsyncIterator[Outage]:
    async with _outage(request.param, request) as ready:
        yield ready


@pytest.fixture
async def sqlite_outage(request: pytest.FixtureRequest) -> AsyncIterator[Outage]:
    async with _outage("sqlite", request) as ready:
        yield ready


def _assert_unavailable(response: httpx.Response, *secrets: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(DATABASE_RETRY_AFTER)
    for secret in secrets:
        assert secret not in response.text
    assert "Traceback" not in response.text and "SQL" not in response.text


def _app_logs(caplog: pytest.LogCaptureFixture) -> str:
    """What the app logged, tracebacks included (not the test's own HTTP client)."""
    handler = caplog.handler
    return "\n".join(handler.format(r) for r in caplog.records if not r.name.startswith("httpx"))


def _inbound_turns(rt: Runtime, turn_id: str) -> int:
    """Inbound messages stored for the widget turn `turn_id` (the widget namespaces its ids)."""
    with rt.session() as session:
        count = session.exec(
            select(func.count())
            .select_from(Message)
            .where(Message.direction == "in", Message.turn_id == f"web:{turn_id}")
        ).one()
    return int(count)


async def test_every_channel_answers_503_and_the_turn_applies_once_afterwards(
    outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    rt, client = outage.runtime, outage.client
    with rt.session() as session:
        lead = make_lead(session, email=LEAD_EMAIL, name="Dana Outage")
        _row, key = create_api_key(session=session, name="crm", scopes=SCOPES)
        create_widget(session=session, flows=rt.flows, public_id="site", settings={})
        session.commit()
    api = {"Authorization": f"Bearer {key}"}
    dash = Dashboard(app=outage.app, client=client)
    await dash.login(dash.account(role=Role.MANAGER, password=PASSWORD))
    opened = await client.post("/widget/site/session", json={"token": None, "page": {}})
    token = opened.json()["token"]
    named = await client.post(
        "/widget/site/turn",
        json={"token": token, "turn_id": "t-name", "text": "Vic Visitor", "expected_version": None},
    )
    assert named.status_code == 200 and named.json()["prompt"]["step_id"] == "email"
    version = named.json()["prompt"]["version"]
    assert (await client.get("/health")).json() == {
        "status": "ok",
        "database": rt.engine.dialect.name,
    }
    turn = {
        "token": token,
        "turn_id": "t-email",
        "text": VISITOR_EMAIL,
        "expected_version": version,
    }

    outage.take_down()
    caplog.set_level(logging.INFO)
    answered = await client.post("/widget/site/turn", json=turn)
    _assert_unavailable(answered, VISITOR_EMAIL, LEAD_EMAIL)
    assert answered.json() == UNAVAILABLE
    resumed = await client.post("/widget/site/session", json={"token": token, "page": {}})
    _assert_unavailable(resumed, VISITOR_EMAIL)
    assert resumed.json() == UNAVAILABLE
    by_id = await client.get(f"/api/v1/leads/{lead.id}", headers=api)
    _assert_unavailable(by_id, LEAD_EMAIL)
    assert by_id.json() == UNAVAILABLE
    by_email = await client.get(f"/api/v1/leads/by-email/{LEAD_EMAIL}", headers=api)
    _assert_unavailable(by_email, LEAD_EMAIL)
    page = await client.get(f"/dashboard/leads/{lead.id}", headers=HTML)
    _assert_unavailable(page, LEAD_EMAIL, "Dana Outage")
    assert page.headers["content-type"].startswith("text/html")
    assert "Temporarily unavailable" in page.text and "try again shortly" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    health = await client.get("/health")
    _assert_unavailable(health)
    assert health.json() == {"status": "unavailable", "database": rt.engine.dialect.name}

    # The failures were logged, by route, with the driver's reason, and without personal data.
    logged = _app_logs(caplog)
    assert "database unavailable during POST /widget/{widget_id}/turn" in logged
    assert "database unavailable during GET /api/v1/leads/by-email/{email}" in logged
    assert VISITOR_EMAIL not in logged and LEAD_EMAIL not in logged

    outage.bring_back()
    assert (await client.get("/health")).status_code == 200
    assert _inbound_turns(rt, "t-email") == 0  # nothing of the failed turn was kept
    # The frame sends the same turn again; it is applied once, and a repeat only replays it.
    retried = await client.post("/widget/site/turn", json=turn)
    assert retried.status_code == 200, retried.text
    assert retried.json()["prompt"]["step_id"] != "email"
    again = await client.post("/widget/site/turn", json=turn)
    assert again.status_code == 200 and again.json() == retried.json()
    assert _inbound_turns(rt, "t-email") == 1
    assert (await client.get(f"/api/v1/leads/{lead.id}", headers=api)).status_code == 200
    assert (await client.get(f"/dashboard/leads/{lead.id}", headers=HTML)).status_code == 200


async def test_a_slack_event_is_refused_while_down_and_applied_when_slack_retries(
    outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    with outage.runtime.session() as session:
        make_user(session, slack_user_id="UBOSS", role=Role.MANAGER)
    home = {"type": "app_home_opened", "user": "UBOSS", "channel": "D1", "tab": "home"}
    body = event_body("EvOutage1", {**home, "event_ts": "1700000000.000001"})

    outage.take_down()
    refused = await send(outage.client, body, JSON)
    # Not a 200: Slack retries an event it got no 2xx for, so the event is not lost.
    assert refused.status_code == 500
    # A slash command is acknowledged without the database (its work comes after the 200);
    # that work fails, and the person is told so instead of the command silently doing nothing.
    caplog.set_level(logging.ERROR, logger="baton.slack")
    command = await send(outage.client, command_body("UBOSS", "someone@acme-corp.io"), FORM)
    assert command.status_code == 200
    (told,) = await outage.slack.wait_for("chat.postEphemeral")
    assert told.params["user"] == "UBOSS" and "could not reach its database" in told.params["text"]
    logged = _app_logs(caplog)
    assert "Slack listener failed: OperationalError" in logged
    assert "someone@acme-corp.io" not in logged
    assert outage.slack.of("views.publish") == [] and outage.slack.of("views.open") == []

    outage.bring_back()
    retry = await send(
        outage.client,
        body,
        JSON,
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"},
    )
    assert retry.status_code == 200
    (publish,) = await outage.slack.wait_for("views.publish")
    assert publish.params["user_id"] == "UBOSS"
    with outage.runtime.session() as session:
        events = session.exec(select(SlackEvent.event_id)).all()
    assert events == ["EvOutage1"]
    command = await send(outage.client, command_body("UBOSS", "someone@acme-corp.io"), FORM)
    assert command.status_code == 200
    await outage.slack.wait_for("views.open")


@pytest.fixture
def locked_sqlite(sqlite_outage: Outage) -> Iterator[sqlite3.Connection]:
    """Another process's connection to the app's SQLite file, to hold its write lock with."""
    path = sqlite_outage.runtime.engine.url.database
    assert path is not None
    holder = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    yield holder
    holder.close()


async def test_a_sqlite_database_locked_past_the_busy_timeout_answers_503(
    sqlite_outage: Outage, locked_sqlite: sqlite3.Connection
) -> None:
    outage, client = sqlite_outage, sqlite_outage.client
    with outage.runtime.session() as session:
        create_widget(session=session, flows=outage.runtime.flows, public_id="site", settings={})
        session.commit()
    token = (await client.post("/widget/site/session", json={"token": None, "page": {}})).json()[
        "token"
    ]
    turn = {"token": token, "turn_id": "t-locked", "text": "Vic Visitor", "expected_version": None}
    locked_sqlite.execute("BEGIN IMMEDIATE")
    started = time.monotonic()
    answered = await client.post("/widget/site/turn", json=turn)
    assert time.monotonic() - started >= 4  # it waited for the lock (busy timeout) first
    _assert_unavailable(answered, "Vic Visitor")
    locked_sqlite.execute("ROLLBACK")
    assert _inbound_turns(outage.runtime, "t-locked") == 0
    retried = await client.post("/widget/site/turn", json=turn)
    assert retried.status_code == 200, retried.text
    assert _inbound_turns(outage.runtime, "t-locked") == 1


def _error_of(work: Callable[[], object]) -> BaseException:
    try:
        work()
    except Exception as exc:  # the error under test, whatever its class
        return exc
    raise AssertionError("no error was raised")


def test_outages_are_told_apart_from_bugs(tmp_path: Path) -> None:
    refused = create_db_engine(
        "postgresql://baton@127.0.0.1:1/baton", connect_args={"connect_timeout": 2}
    )
    assert database_unavailable(_error_of(refused.connect))
    refused.dispose()

    engine = create_db_engine(f"sqlite:///{tmp_path}/bugs.db")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER UNIQUE)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))

    def statement(sql: str) -> Callable[[], object]:
        def run() -> object:
            with engine.begin() as conn:
                return conn.execute(text(sql), {"secret": LEAD_EMAIL})

        return run

    syntax = _error_of(statement("SELEC 1"))
    duplicate = _error_of(statement("INSERT INTO t VALUES (1)"))
    missing = _error_of(statement("SELECT * FROM nowhere WHERE x = :secret"))
    assert isinstance(syntax, DBAPIError) and not database_unavailable(syntax)
    assert isinstance(duplicate, IntegrityError) and not database_unavailable(duplicate)
    assert isinstance(missing, DBAPIError) and not database_unavailable(missing)
    # Statement values never reach messages (and so logs): they may be personal data.
    assert LEAD_EMAIL not in str(missing)
    engine.dispose()

    gone = create_db_engine(f"sqlite:///{tmp_path}/gone/bugs.db")
    shutil.rmtree(tmp_path / "gone")
    assert database_unavailable(_error_of(gone.connect))
    gone.dispose()
