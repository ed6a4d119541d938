"""A Baton app with Slack on, talking to a fake Slack Web API server on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from bot.app import create_app
from bot.runtime import Runtime
from bot.settings import Settings
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.signing import SECRET

APPROVAL_CHANNEL = "CAPPROVE"


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


@pytest.fixture
async def baton(database_url: str, fake_slack: FakeSlack) -> AsyncIterator[SlackBaton]:
    settings = Settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SECRET,
        slack_api_url=fake_slack.url,
        slack_approval_channel=APPROVAL_CHANNEL,
        public_url="https://baton.example.com",
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as client:
        yield SlackBaton(app=app, client=client, slack=fake_slack)
    app.state.runtime.engine.dispose()
