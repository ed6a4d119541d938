"""Logging in and out, session cookies, and brute-force protection of the login form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from bot.dashboard.auth import safe_next
from qualification.stages import Role
from storage.accounts import set_password
from storage.dashboard_sessions import end_user_sessions, purge_sessions
from storage.login_attempts import locked_until, login_key
from storage.models import DashboardSession, RateLimitWindow, User
from tests.bot.dashboard.conftest import (
    HTML,
    PASSWORD,
    Dashboard,
    build_app,
    within_one_ip_window,
)
from tests.bot.dashboard.pages import text

WRONG = "The email or password is wrong."


def _cookie_headers(response: httpx.Response, name: str) -> list[str]:
    return [h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}=")]


async def test_a_user_logs_in_and_lands_on_the_page_they_asked_for(dash: Dashboard) -> None:
    user = dash.account(role=Role.SDR, name="Sam Rivera")
    asked = await dash.page("/dashboard/leads", q="acme")
    assert asked.status_code == 303
    assert asked.headers["location"] == "/dashboard/login?next=%2Fdashboard%2Fleads%3Fq%3Dacme"

    token = await dash.login_form(next_path="/dashboard/leads?q=acme")
    response = await dash.post_login(user.email, next_path="/dashboard/leads?q=acme", token=token)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/leads?q=acme"
    page = await dash.page("/dashboard/leads", q="acme")
    assert page.status_code == 200
    assert "Sam Rivera" in text(page.text)
    # The login form now sends a logged-in user straight on.
    again = await dash.page("/dashboard/login")
    assert again.status_code == 303


async def test_the_session_cookie_is_signed_httponly_samesite_and_limited_to_the_dashboard(
    dash: Dashboard,
) -> None:
    user = dash.account()
    response = await dash.post_login(user.email)
    [cookie] = _cookie_headers(response, "baton_session")
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "path=/dashboard" in flags
    assert "max-age=43200" in flags  # 12 hours
    assert "secure" not in flags  # plain http in this test, no https public URL
    # The pre-session (login form) cookie is dropped once logged in.
    [form_cookie] = _cookie_headers(response, "baton_form")
    assert "max-age=0" in form_cookie.lower()

    # A tampered cookie is not a session.
    value = dash.client.cookies["baton_session"]
    dash.client.cookies.clear()
    dash.client.cookies.set(
        "baton_session", value[:-2] + "xx", domain="baton.test", path="/dashboard"
    )
    assert (await dash.page("/dashboard/leads")).status_code == 303


async def test_cookies_are_secure_when_baton_is_served_over_https(database_url: str) -> None:
    app = build_app(database_url, public_url="https://baton.example.com")
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as client:
            form = await client.get("/dashboard/login")
            [form_cookie] = _cookie_headers(form, "baton_form")
            assert "secure" in form_cookie.lower().split("; ")
    finally:
        app.state.runtime.engine.dispose()
    app = build_app(database_url)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://baton.test") as client:
            dash = Dashboard(app=app, client=client)
            user = dash.account()
            response = await dash.post_login(user.email)
            assert response.status_code == 303
            [cookie] = _cookie_headers(response, "baton_session")
            assert "secure" in [p.strip().lower() for p in cookie.split(";")]
    finally:
        app.state.runtime.engine.dispose()


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(dash: Dashboard) -> None:
    user = dash.account()
    wrong = await dash.post_login(user.email, "not the password at all")
    unknown = await dash.post_login("nobody@example.com", "not the password at all")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert WRONG in text(response.text)
        assert not _cookie_headers(response, "baton_session")
    assert "baton_session" not in dash.client.cookies
    # The form keeps the email typed, escaped.
    assert f'value="{user.email}"' in wrong.text


async def test_a_user_without_a_password_or_deactivated_cannot_log_in(dash: Dashboard) -> None:
    no_password = dash.account(password=None)
    response = await dash.post_login(no_password.email, "")
    assert response.status_code == 401
    response = await dash.post_login(no_password.email, PASSWORD)
    assert response.status_code == 401

    gone = dash.account()
    await dash.login(gone)
    assert (await dash.page("/dashboard/leads")).status_code == 200
    with dash.runtime.session() as session:
        row = session.get(User, gone.id)
        assert row is not None
        row.active = False
        session.add(row)
        session.commit()
    # The open session ends, and a new login is refused.
    assert (await dash.page("/dashboard/leads")).status_code == 303
    assert (await dash.post_login(gone.email)).status_code == 401


async def test_five_failures_lock_the_email_for_15_minutes_whatever_the_password(
    dash: Dashboard,
) -> None:
    user = dash.account()
    for _ in range(4):
        response = await dash.post_login(user.email, "wrong password!!")
        assert response.status_code == 401
    fifth = await dash.post_login(user.email, "wrong password!!")
    assert fifth.status_code == 429
    assert "locked" in text(fifth.text)
    assert "15 minutes" in text(fifth.text)
    assert 890 <= int(fifth.headers["retry-after"]) <= 900

    # The right password does not get in while the email is locked.
    locked = await dash.post_login(user.email, PASSWORD)
    assert locked.status_code == 429
    assert "baton_session" not in dash.client.cookies
    with dash.runtime.session() as session:
        until = locked_until(
            session=session, key=login_key("email", user.email), now=datetime.now(UTC)
        )
    assert until is not None
    assert timedelta(minutes=14) < until - datetime.now(UTC) <= timedelta(minutes=15)

    # The lock is per email: another account logs in from the same address.
    other = dash.account()
    await dash.login(other)


async def test_an_unknown_email_is_locked_the_same_way(dash: Dashboard) -> None:
    """The lock-out must not tell whether an account exists."""
    answers = [await dash.post_login("ghost@example.com", "wrong password!!") for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
    assert "locked" in text(answers[-1].text)


async def test_a_successful_login_forgets_earlier_failures(dash: Dashboard) -> None:
    user = dash.account()
    for _ in range(4):
        await dash.post_login(user.email, "wrong password!!")
    await dash.login(user)
    dash.client.cookies.clear()
    for _ in range(4):
        assert (await dash.post_login(user.email, "wrong password!!")).status_code == 401


async def test_the_address_limit_stops_guessing_across_many_emails(dash: Dashboard) -> None:
    """12 attempts a window from one address in this app; spread over emails so that no email
    is locked."""
    await within_one_ip_window()
    user = dash.account()
    statuses = [
        (await dash.post_login(f"guess{n}@example.com", "wrong password!!")).status_code
        for n in range(12)
    ]
    assert statuses == [401] * 12
    refused = await dash.post_login(user.email, PASSWORD)
    assert refused.status_code == 429
    assert "from your network" in text(refused.text)
    assert int(refused.headers["retry-after"]) > 0
    assert "baton_session" not in dash.client.cookies
    with dash.runtime.session() as session:
        counted = session.exec(
            select(RateLimitWindow).where(col(RateLimitWindow.key).startswith("login:ip:"))
        ).all()
    assert sum(row.count for row in counted) == 13


async def test_logout_ends_the_session(dash: Dashboard) -> None:
    user = dash.account()
    await dash.login(user)
    token = await dash.token()
    response = await dash.client.post("/dashboard/logout", data={"csrf_token": token}, headers=HTML)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login"
    [cookie] = _cookie_headers(response, "baton_session")
    assert "max-age=0" in cookie.lower()
    assert (await dash.page("/dashboard/leads")).status_code == 303


async def test_a_copy_of_the_cookie_stops_working_at_logout(dash: Dashboard) -> None:
    user = dash.account()
    await dash.login(user)
    copied = dash.client.cookies["baton_session"]
    token = await dash.token()
    await dash.client.post("/dashboard/logout", data={"csrf_token": token}, headers=HTML)
    # Someone who copied the cookie before the logout (a shared computer, a proxy log) cannot
    # use it, although its signature is still good for hours.
    dash.client.cookies.set("baton_session", copied, domain="baton.test", path="/dashboard")
    replayed = await dash.page("/dashboard/leads")
    assert replayed.status_code == 303
    assert replayed.headers["location"].startswith("/dashboard/login")
    with dash.runtime.session() as session:
        [row] = session.exec(
            select(DashboardSession).where(DashboardSession.user_id == user.id)
        ).all()
    assert row.ended_at is not None
    assert copied not in row.token_hash  # only a digest of the token is stored


async def test_logging_out_ends_only_that_session(dash: Dashboard) -> None:
    user = dash.account()
    await dash.login(user)
    laptop = dash.client.cookies["baton_session"]
    dash.client.cookies.clear()
    await dash.login(user)  # a second device
    token = await dash.token()
    await dash.client.post("/dashboard/logout", data={"csrf_token": token}, headers=HTML)
    assert (await dash.page("/dashboard/leads")).status_code == 303
    dash.client.cookies.set("baton_session", laptop, domain="baton.test", path="/dashboard")
    assert (await dash.page("/dashboard/leads")).status_code == 200
    assert user.id is not None
    with dash.runtime.session() as session:
        assert end_user_sessions(session=session, user_id=user.id, now=datetime.now(UTC)) == 1
        session.commit()
    assert (await dash.page("/dashboard/leads")).status_code == 303


async def test_ended_and_expired_sessions_are_purged_after_a_while(dash: Dashboard) -> None:
    user = dash.account()
    await dash.login(user)
    now = datetime.now(UTC)
    with dash.runtime.session() as session:
        assert purge_sessions(session=session, now=now, keep=timedelta(days=30)) == 0
        assert (
            purge_sessions(session=session, now=now + timedelta(days=31), keep=timedelta(days=30))
            == 1
        )
        session.commit()
    assert (await dash.page("/dashboard/leads")).status_code == 303


async def test_a_password_reset_ends_every_older_session(dash: Dashboard) -> None:
    user = dash.account()
    await dash.login(user)
    old_cookie = dash.client.cookies["baton_session"]
    assert (await dash.page("/dashboard/leads")).status_code == 200
    with dash.runtime.session() as session:
        row = session.get(User, user.id)
        assert row is not None
        set_password(session=session, user=row, password="a brand new passphrase")
        session.commit()
    ended = await dash.page("/dashboard/leads")
    assert ended.status_code == 303
    assert ended.headers["location"].startswith("/dashboard/login")
    assert "baton_session" not in dash.client.cookies  # the stale cookie was cleared
    # Neither the old cookie nor the old password work; the new password does.
    dash.client.cookies.set("baton_session", old_cookie, domain="baton.test", path="/dashboard")
    assert (await dash.page("/dashboard/leads")).status_code == 303
    dash.client.cookies.clear()
    assert (await dash.post_login(user.email, PASSWORD)).status_code == 401
    await dash.login(user, "a brand new passphrase")


async def test_sessions_carry_over_between_workers_sharing_the_secret_key(
    app: FastAPI, dash: Dashboard, database_url: str
) -> None:
    user = dash.account()
    await dash.login(user)
    cookie = dash.client.cookies["baton_session"]
    same_key = build_app(database_url, secret_key=app.state.runtime.settings.secret_key)
    random_key = build_app(database_url)
    try:
        for other, expected in ((same_key, 200), (random_key, 303)):
            transport = httpx.ASGITransport(app=other)
            async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as c:
                c.cookies.set("baton_session", cookie, domain="baton.test", path="/dashboard")
                response = await c.get("/dashboard/leads", headers=HTML)
                assert response.status_code == expected
    finally:
        same_key.state.runtime.engine.dispose()
        random_key.state.runtime.engine.dispose()


async def test_an_outdated_hash_is_upgraded_at_login(dash: Dashboard) -> None:
    from argon2 import PasswordHasher

    user = dash.account(password=None)
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    with dash.runtime.session() as session:
        row = session.get(User, user.id)
        assert row is not None
        row.password_hash = weak
        session.add(row)
        session.commit()
    await dash.login(user)
    with dash.runtime.session() as session:
        row = session.get(User, user.id)
        assert row is not None and row.password_hash is not None
    assert row.password_hash != weak
    assert row.password_hash.startswith("$argon2id$")
    assert "m=65536,t=3,p=4" in row.password_hash
    # The session cookie was signed for the upgraded hash, so the next page works.
    assert (await dash.page("/dashboard/leads")).status_code == 200


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/dashboard/leads/3", "/dashboard/leads/3"),
        ("/dashboard/leads?q=a&page=2", "/dashboard/leads?q=a&page=2"),
        ("/dashboard", "/dashboard"),
        ("https://evil.example/dashboard", "/dashboard/leads"),
        ("//evil.example/dashboard", "/dashboard/leads"),
        ("/\\evil.example", "/dashboard/leads"),
        ("/dashboard/../api/v1/leads", "/dashboard/leads"),
        ("/api/v1/leads", "/dashboard/leads"),
        ("/dashboardx", "/dashboard/leads"),
        ("javascript:alert(1)", "/dashboard/leads"),
        ("/dashboard/login", "/dashboard/leads"),
        ("/dashboard/\nSet-Cookie: x", "/dashboard/leads"),
        ("", "/dashboard/leads"),
    ],
)
def test_next_only_ever_points_into_the_dashboard(target: str, expected: str) -> None:
    assert safe_next(target) == expected


async def test_login_does_not_redirect_off_site(dash: Dashboard) -> None:
    user = dash.account()
    response = await dash.post_login(user.email, next_path="https://evil.example/")
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/leads"
