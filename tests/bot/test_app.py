"""The web app: built per test from settings; health and version endpoints."""

from __future__ import annotations

import httpx

from bot.app import create_app
from bot.settings import Settings


async def test_health_and_version(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as client:
        health = await client.get("/health")
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        assert health.json()["database"] in {"sqlite", "postgresql"}
        info = (await client.get("/version")).json()
        assert info["rules_version"].startswith("2026.1+")
        assert info["default_flow"].startswith("bant-default@")
    app.state.runtime.engine.dispose()
