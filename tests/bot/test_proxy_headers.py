"""Behind a reverse proxy: `baton serve` takes the client's address from X-Forwarded-For only
when the request comes from a proxy it was told to trust (BATON_FORWARDED_ALLOW_IPS).

Per-address limits (widget floods, login guessing) count that address, so a proxy that is not
trusted must not be able to choose it, and a trusted one must not make every visitor one."""

from __future__ import annotations

import httpx
import pytest
from sqlmodel import Session, col, select

from bot.settings import Settings
from storage.db import create_db_engine
from storage.models import RateLimitWindow
from storage.ratelimit import hashed
from tests.bot.servers import BatonServer, server_env
from tests.bot.test_servers import WIDGET, Servers, _create_widget
from tests.bot.test_servers import servers as servers  # the fixture

VISITOR = "203.0.113.7"


def _counted_addresses(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            keys = session.exec(
                select(RateLimitWindow.key).where(
                    col(RateLimitWindow.key).startswith("widget:session:ip:")
                )
            ).all()
    finally:
        engine.dispose()
    return {key.removeprefix("widget:session:ip:") for key in keys}


async def _open_via_proxy(server: BatonServer) -> None:
    async with httpx.AsyncClient(timeout=10.0) as client:
        response = await client.post(
            f"{server.url}/widget/{WIDGET}/session",
            json={},
            headers={"X-Forwarded-For": VISITOR},
        )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("trusted", "counted"),
    [(None, hashed(VISITOR)), ("10.0.0.0/8", hashed("127.0.0.1"))],
    ids=["loopback-proxy-trusted", "unknown-proxy-ignored"],
)
async def test_the_visitors_address_is_taken_from_a_trusted_proxy_only(
    servers: Servers, database_url: str, trusted: str | None, counted: str
) -> None:
    _create_widget(database_url)
    extra = {"BATON_FORWARDED_ALLOW_IPS": trusted} if trusted else {}
    server = await servers.start(server_env(BATON_DATABASE_URL=database_url, **extra))
    await _open_via_proxy(server)
    assert _counted_addresses(database_url) == {counted}
    servers.assert_no_tracebacks()


def test_a_malformed_proxy_list_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATON_FORWARDED_ALLOW_IPS", "127.0.0.1, proxy.internal")
    with pytest.raises(ValueError, match="'proxy.internal' is not an address or network"):
        Settings()
    monkeypatch.setenv("BATON_FORWARDED_ALLOW_IPS", "10.0.0.0/8,::1,*")
    assert Settings().forwarded_allow_ips == "10.0.0.0/8,::1,*"
