"""An app per test on the test database, an HTTP client for it and API keys."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest
from fastapi import FastAPI

from bot.app import create_app
from bot.settings import Settings
from storage.apikeys import SCOPES, create_api_key

KeyMaker = Callable[..., str]


@pytest.fixture
def app(database_url: str) -> Iterator[FastAPI]:
    app = create_app(Settings(database_url=database_url))
    yield app
    app.state.runtime.engine.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as c:
        yield c


@pytest.fixture
def make_key(app: FastAPI) -> KeyMaker:
    """Create an API key with the given scopes (all of them by default); returns the key."""

    def make(*scopes: str, name: str = "test client") -> str:
        with app.state.runtime.session() as session:
            _row, key = create_api_key(session=session, name=name, scopes=scopes or SCOPES)
            session.commit()
        return key

    return make


@pytest.fixture
def auth(make_key: KeyMaker) -> dict[str, str]:
    """Headers carrying a key with every scope."""
    return {"Authorization": f"Bearer {make_key()}"}
