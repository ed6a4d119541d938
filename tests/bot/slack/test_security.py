"""Signatures: forged, stale and replayed requests get 401 and change nothing."""

from __future__ import annotations

import time

import httpx

from bot.app import create_app
from bot.settings import Settings
from tests.bot.slack.conftest import SlackBaton
from tests.bot.slack.signing import (
    FORM,
    JSON,
    SECRET,
    command_body,
    event_body,
    send,
    signature,
)


async def test_forged_signature_is_refused(baton: SlackBaton) -> None:
    response = await send(baton.client, command_body("U1", ""), FORM, secret="not-the-secret")
    assert response.status_code == 401
    assert baton.slack.calls == []


async def test_stale_timestamp_is_refused_even_when_signed(baton: SlackBaton) -> None:
    stale = int(time.time()) - 10 * 60
    response = await send(baton.client, command_body("U1", ""), FORM, timestamp=stale)
    assert response.status_code == 401
    assert baton.slack.calls == []


async def test_body_changed_after_signing_is_refused(baton: SlackBaton) -> None:
    ts = str(int(time.time()))
    signed = signature(SECRET, ts, command_body("U1", "a"))
    response = await baton.client.post(
        "/slack/events",
        content=command_body("U1", "b").encode(),
        headers={
            "Content-Type": FORM,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signed,
        },
    )
    assert response.status_code == 401


async def test_url_verification_is_answered(baton: SlackBaton) -> None:
    body = '{"token":"t","challenge":"abc123","type":"url_verification"}'
    response = await send(baton.client, body, JSON)
    assert response.status_code == 200
    assert "abc123" in response.text


async def test_unsigned_event_is_refused(baton: SlackBaton) -> None:
    body = event_body("Ev1", {"type": "app_home_opened", "user": "U1", "tab": "home"})
    response = await baton.client.post(
        "/slack/events", content=body.encode(), headers={"Content-Type": JSON}
    )
    assert response.status_code == 401


async def test_without_credentials_slack_is_off(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as client:
        assert (await client.get("/version")).json()["slack"] == "off"
        assert (await client.post("/slack/events", content=b"{}")).status_code in (404, 405)
    app.state.runtime.engine.dispose()
