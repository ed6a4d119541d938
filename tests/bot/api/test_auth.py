"""API keys at the HTTP edge: 401 without a valid key, 403 without the scope or when revoked."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from storage.apikeys import revoke_api_key
from tests.bot.api.conftest import KeyMaker


async def test_missing_key_is_401_with_www_authenticate(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/leads")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "AuthError"


async def test_malformed_and_unknown_keys_are_401(
    client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    real = make_key()
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    for key in ["nonsense", "bk_00000000_" + "x" * 43, forged]:
        response = await client.get("/api/v1/leads", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 401, key
        assert response.headers["www-authenticate"] == "Bearer"


async def test_bearer_and_x_api_key_headers_both_work(
    client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    key = make_key("leads:read")
    bearer = await client.get("/api/v1/leads", headers={"Authorization": f"Bearer {key}"})
    header = await client.get("/api/v1/leads", headers={"X-API-Key": key})
    assert bearer.status_code == header.status_code == 200


async def test_missing_scope_is_403(client: httpx.AsyncClient, make_key: KeyMaker) -> None:
    key = make_key("leads:read")
    response = await client.post(
        "/api/v1/leads", json={"email": "a@acme.io"}, headers={"X-API-Key": key}
    )
    assert response.status_code == 403
    assert "leads:write" in response.json()["detail"]


async def test_revoked_key_is_403(
    app: FastAPI, client: httpx.AsyncClient, make_key: KeyMaker
) -> None:
    key = make_key("leads:read")
    with app.state.runtime.session() as session:
        revoke_api_key(session=session, prefix=key[:11])
        session.commit()
    response = await client.get("/api/v1/leads", headers={"X-API-Key": key})
    assert response.status_code == 403
    assert "revoked" in response.json()["detail"]
