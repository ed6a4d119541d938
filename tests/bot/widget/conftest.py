"""Fixtures for the widget's HTTP tests: an app per test on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from bot.app import create_app
from bot.settings import Settings
from bot.widget.guard import WidgetLimits
from storage.widgets import create_widget
from tests.conftest import dispose_when_idle

BASE = "http://127.0.0.1:8000"
SITE = "https://www.example.com"


@pytest.fixture
def limits() -> WidgetLimits:
    """Generous limits; tests about rate limits override this fixture."""
    return WidgetLimits()


@pytest.fixture
def app(database_url: str, limits: WidgetLimits) -> FastAPI:
    return create_app(Settings(database_url=database_url), widget_limits=limits)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        yield http
    dispose_when_idle(app.state.runtime.engine)  # a stream's last read may still be running


@pytest.fixture
def site_widget(app: FastAPI) -> str:
    """A widget that allows SITE; returns its public id."""
    rt = app.state.runtime
    with rt.session() as session:
        widget = create_widget(
            session=session,
            flows=rt.flows,
            public_id="site",
            settings={"allowed_origins": [SITE], "consent_text": "We may email you."},
        )
        session.commit()
    return widget.public_id
