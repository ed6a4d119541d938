"""A Baton app per test with its dashboard, an HTTP client, and accounts to log in with."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx
import pytest
from fastapi import FastAPI

from bot.app import create_app
from bot.dashboard import LoginLimits
from bot.runtime import Runtime
from bot.settings import Settings
from qualification.stages import Role
from storage.accounts import set_password
from storage.models import User
from tests.bot.dashboard.pages import csrf_token
from tests.factories import make_user

PASSWORD = "correct horse battery staple"
HTML = {"accept": "text/html,application/xhtml+xml"}
IP_WINDOW = 86_400  # a day: a test's attempts all fall in one fixed window (but see below)


async def within_one_ip_window(seconds_needed: int = 120) -> None:
    """Wait for the next window if the current one ends before a test can finish."""
    left = IP_WINDOW - time.time() % IP_WINDOW
    if left < seconds_needed:
        await asyncio.sleep(left + 1)


@dataclass
class Dashboard:
    app: FastAPI
    client: httpx.AsyncClient

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    def account(self, *, role: Role = Role.SDR, password: str | None = PASSWORD, **kw: str) -> User:
        """A committed user with this dashboard password (none when `password` is None)."""
        with self.runtime.session() as session:
            user = make_user(session, role=role, **kw)
            if password is not None:
                set_password(session=session, user=user, password=password)
            session.commit()
        return user

    async def login_form(self, next_path: str | None = None) -> str:
        """Open the login form (which sets the pre-session cookie); its CSRF token."""
        params = {"next": next_path} if next_path else None
        page = await self.client.get("/dashboard/login", params=params, headers=HTML)
        assert page.status_code == 200, page.text
        return csrf_token(page.text)

    async def post_login(
        self, email: str, password: str = PASSWORD, *, next_path: str = "", token: str | None = None
    ) -> httpx.Response:
        token = token if token is not None else await self.login_form()
        return await self.client.post(
            "/dashboard/login",
            data={"email": email, "password": password, "next": next_path, "csrf_token": token},
            headers=HTML,
        )

    async def login(self, user: User, password: str = PASSWORD) -> None:
        response = await self.post_login(user.email, password)
        assert response.status_code == 303, response.text
        assert "baton_session" in self.client.cookies

    async def page(self, path: str, **params: str) -> httpx.Response:
        return await self.client.get(path, params=params or None, headers=HTML)

    async def token(self, path: str = "/dashboard/leads") -> str:
        """The CSRF token of the logged-in session, as a page's forms carry it."""
        page = await self.page(path)
        assert page.status_code == 200, page.text
        return csrf_token(page.text)


def build_app(database_url: str, **settings: object) -> FastAPI:
    return create_app(
        Settings(database_url=database_url, outbox_worker=False, **settings),  # type: ignore[arg-type]
        login_limits=LoginLimits(per_ip=12, ip_window_seconds=IP_WINDOW),
    )


@pytest.fixture
def app(database_url: str) -> Iterator[FastAPI]:
    app = build_app(database_url, secret_key="k" * 16 + "test-secret-key-0123456789abcdef")
    yield app
    app.state.runtime.engine.dispose()


@pytest.fixture
async def dash(app: FastAPI) -> AsyncIterator[Dashboard]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as client:
        yield Dashboard(app=app, client=client)
