"""Oversized bodies, floods and the headers every response carries."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.widget.guard import Limit, WidgetLimits
from tests.bot.widget.helpers import answer, open_session, restart


@pytest.fixture
def limits() -> WidgetLimits:
    return WidgetLimits(
        session_per_ip=Limit(5),
        session_per_token=Limit(3),
        turn_per_ip=Limit(50),
        turn_per_token=Limit(4),
    )


async def test_a_body_over_64_kib_is_413_before_anything_runs(
    client: httpx.AsyncClient, site_widget: str
) -> None:
    data = await open_session(client, site_widget)
    big = "x" * (65 * 1024)
    response = await answer(client, site_widget, data["token"], big)
    assert response.status_code == 413
    assert response.json()["error"] == "PayloadTooLarge"
    resumed = await open_session(client, site_widget, token=data["token"])
    assert [m for m in resumed["history"] if m["direction"] == "in"] == []


async def test_a_chunked_body_over_the_limit_is_413(
    client: httpx.AsyncClient, site_widget: str
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(70):
            yield b"x" * 1024

    response = await client.post(
        f"/widget/{site_widget}/turn",
        content=chunks(),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413


async def test_an_answer_over_2000_characters_is_cut_with_a_notice(
    client: httpx.AsyncClient, site_widget: str
) -> None:
    data = await open_session(client, site_widget)
    response = await answer(client, site_widget, data["token"], "A" * 5000)
    assert response.status_code == 200
    assert any("longer than 2,000" in n for n in response.json()["prompt"]["notices"])


async def test_a_flood_from_one_visitor_is_429_with_retry_after(
    client: httpx.AsyncClient, site_widget: str
) -> None:
    data = await open_session(client, site_widget)
    statuses = [
        (await answer(client, site_widget, data["token"], "help")).status_code for _ in range(6)
    ]
    assert statuses[:4] == [200] * 4
    assert statuses[4:] == [429, 429]
    limited = await answer(client, site_widget, data["token"], "help")
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # Another visitor is not affected by this visitor's flood.
    other = await open_session(client, site_widget)
    assert (await answer(client, site_widget, other["token"], "help")).status_code == 200


async def test_a_flood_of_sessions_from_one_address_is_429(
    client: httpx.AsyncClient, site_widget: str
) -> None:
    statuses = [
        (await client.post(f"/widget/{site_widget}/session", json={})).status_code for _ in range(7)
    ]
    assert statuses == [200] * 5 + [429, 429]


async def test_restarts_count_against_the_visitors_session_limit(
    client: httpx.AsyncClient, site_widget: str
) -> None:
    token = (await open_session(client, site_widget))["token"]
    await open_session(client, site_widget, token=token)  # this token's first session request
    statuses = [(await restart(client, site_widget, token)).status_code for _ in range(3)]
    # The chat is still active, so the first two restarts answer it unchanged.
    assert statuses == [200, 200, 429]
    limited = await restart(client, site_widget, token)
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert (
        await client.post(f"/widget/{site_widget}/session", json={"token": token})
    ).status_code == 429


async def test_security_headers(client: httpx.AsyncClient, site_widget: str) -> None:
    health = await client.get("/health")
    assert health.headers["x-content-type-options"] == "nosniff"
    assert health.headers["x-frame-options"] == "DENY"
    assert health.headers["content-security-policy"] == "frame-ancestors 'none'"
    frame = await client.get(f"/widget/{site_widget}/frame")
    csp = frame.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert frame.headers["x-content-type-options"] == "nosniff"
