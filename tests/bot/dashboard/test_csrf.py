"""Every dashboard form post needs this browser's CSRF token; without it nothing changes."""

from __future__ import annotations

from sqlmodel import col, func, select

from storage.models import RateLimitWindow
from tests.bot.dashboard.conftest import HTML, PASSWORD, Dashboard
from tests.bot.dashboard.pages import csrf_token, text


def _login_rows(dash: Dashboard) -> int:
    with dash.runtime.session() as session:
        return int(
            session.exec(
                select(func.count())
                .select_from(RateLimitWindow)
                .where(col(RateLimitWindow.key).startswith("login:"))
            ).one()
        )


async def test_login_without_or_with_a_wrong_token_is_refused_and_changes_nothing(
    dash: Dashboard,
) -> None:
    user = dash.account()
    await dash.login_form()  # the browser holds a pre-session cookie
    for token in (
        None,
        "",
        "forged-token",
        csrf_token((await dash.page("/dashboard/login")).text)[:-1],
    ):
        data = {"email": user.email, "password": PASSWORD}
        if token is not None:
            data["csrf_token"] = token
        response = await dash.client.post("/dashboard/login", data=data, headers=HTML)
        assert response.status_code == 403
        assert "Form rejected" in text(response.text)
        assert "nothing was changed" in text(response.text)
        assert "baton_session" not in response.headers.get("set-cookie", "")
    assert "baton_session" not in dash.client.cookies
    assert _login_rows(dash) == 0  # not even counted as an attempt


async def test_a_token_from_another_browser_does_not_work(dash: Dashboard) -> None:
    """Double submit: the form's token must match this browser's own signed cookie."""
    user = dash.account()
    theirs = await dash.login_form()
    dash.client.cookies.clear()
    await dash.login_form()  # this browser gets a different pre-session token
    response = await dash.post_login(user.email, token=theirs)
    assert response.status_code == 403
    assert "baton_session" not in dash.client.cookies


async def test_logout_without_the_token_keeps_the_session(dash: Dashboard) -> None:
    user = dash.account()
    await dash.login(user)
    for data in ({}, {"csrf_token": "nope"}):
        response = await dash.client.post("/dashboard/logout", data=data, headers=HTML)
        assert response.status_code == 403
        assert "baton_session" not in response.headers.get("set-cookie", "")
        assert "Log out" in text(response.text)  # still logged in
    assert (await dash.page("/dashboard/leads")).status_code == 200


async def test_the_session_token_is_the_one_forms_carry_and_rotates_at_login(
    dash: Dashboard,
) -> None:
    user = dash.account()
    before = await dash.login_form()
    await dash.login(user)
    token = await dash.token()
    assert token != before
    # The pre-session token no longer posts once the login dropped its cookie.
    response = await dash.client.post(
        "/dashboard/logout", data={"csrf_token": before}, headers=HTML
    )
    assert response.status_code == 403
    response = await dash.client.post("/dashboard/logout", headers={**HTML, "X-CSRF-Token": token})
    assert response.status_code == 303
