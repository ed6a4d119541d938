"""A Baton app with Slack on, talking to a fake Slack Web API server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bot.app import create_app
from bot.outbox import build_dispatcher, run_once
from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack.lanes import TASK_NAME
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.signing import SECRET

APPROVAL_CHANNEL = "CAPPROVE"
SDR_CHANNEL = "CSDR"


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    fake.start()
    yield fake
    fake.stop()


@dataclass
class SlackBaton:
    app: FastAPI
    client: httpx.AsyncClient
    slack: FakeSlack

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    async def deliver(self, *, now: datetime | None = None) -> int:
        """Do what the app's outbox worker does: run the periodic jobs (all of them, at `now`
        when given), then deliver every due item; returns how many items were delivered."""
        dispatcher = build_dispatcher(self.runtime)
        if now is not None:
            await dispatcher.run_periodic(self.runtime, now)
        delivered = 0
        while claimed := await run_once(runtime=self.runtime, dispatcher=dispatcher, now=now):
            delivered += claimed
        return delivered


def slack_settings(database_url: str, fake_slack: FakeSlack, **overrides: Any) -> Settings:
    """Settings of a Baton with Slack on, talking to `fake_slack` (`overrides` win)."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": SECRET,
        "slack_api_url": fake_slack.url,
        "slack_approval_channel": APPROVAL_CHANNEL,
        "slack_sdr_channel": SDR_CHANNEL,
        "outbox_worker": False,
        "public_url": "https://baton.example.com",
    }
    values.update(overrides)
    return Settings(**values)


async def listeners_done(timeout: float = 10.0) -> None:
    """Wait for the work the listeners left for after their ack to finish (bot.slack.lanes)."""

    def busy() -> bool:
        return any(task.get_name() == TASK_NAME for task in asyncio.all_tasks() if not task.done())

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while busy():
        assert loop.time() < deadline, "a Slack listener is still running"
        await asyncio.sleep(0.02)


@asynccontextmanager
async def running(settings: Settings, fake_slack: FakeSlack) -> AsyncIterator[SlackBaton]:
    """The app built from `settings`, with an HTTP client on it; disposed at the end."""
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as client:
        yield SlackBaton(app=app, client=client, slack=fake_slack)
        # A listener still at work holds a connection the engine cannot close under it.
        await listeners_done()
    app.state.runtime.engine.dispose()


@pytest.fixture
async def baton(database_url: str, fake_slack: FakeSlack) -> AsyncIterator[SlackBaton]:
    async with running(slack_settings(database_url, fake_slack), fake_slack) as started:
        yield started
