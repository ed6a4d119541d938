"""Small helpers for the widget's HTTP tests."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

_turns = itertools.count(1)


async def open_session(
    client: httpx.AsyncClient, widget: str, *, token: str | None = None, **page: str
) -> dict[str, Any]:
    response = await client.post(f"/widget/{widget}/session", json={"token": token, "page": page})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def answer(
    client: httpx.AsyncClient,
    widget: str,
    token: str,
    text: str,
    *,
    version: int | None = None,
    turn_id: str | None = None,
) -> httpx.Response:
    return await client.post(
        f"/widget/{widget}/turn",
        json={
            "token": token,
            "turn_id": turn_id or f"t{next(_turns)}",
            "text": text,
            "expected_version": version,
        },
    )


async def finish_chat(
    client: httpx.AsyncClient, widget: str, answers: list[str], *, token: str | None = None
) -> tuple[str, dict[str, Any]]:
    """Open (or resume) a chat and answer each question; returns (token, last turn's body)."""
    data = await open_session(client, widget, token=token)
    token, body = data["token"], data
    for text in answers:
        response = await answer(client, widget, token, text, version=body["prompt"]["version"])
        assert response.status_code == 200, response.text
        body = response.json()
    return token, body


async def restart(client: httpx.AsyncClient, widget: str, token: str) -> httpx.Response:
    return await client.post(f"/widget/{widget}/restart", json={"token": token})
