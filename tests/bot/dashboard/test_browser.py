"""The dashboard in a real browser: log in through the form, read a lead, log out.

Chromium comes from the system (`apt-get install chromium`); skipped without it, except under
CI=true, where it must run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qualification.stages import GivenBy, Role
from storage.accounts import set_password
from tests.bot.widget.browser import CHROMIUM, CHROMIUM_ARGS, baton_server, require_chromium
from tests.factories import make_lead, make_user

require_chromium()

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

HOSTILE = "<img src=x onerror=\"document.title='pwned'\"><script>alert('pwned')</script>"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def test_log_in_read_a_lead_and_log_out(page: Page, tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path}/baton.db"
    with baton_server(database_url, site_origin="http://localhost:1") as (baton_url, app):
        rt = app.state.runtime
        with rt.session() as session:
            user = make_user(session, role=Role.MANAGER, name="Morgan Lee")
            set_password(session=session, user=user, password=PASSWORD)
            session.commit()
            lead = make_lead(session, name="Dana Whitfield")
            prompt = rt.dialogs.start(
                session=session, lead=lead, channel="web", given_by=GivenBy.PROSPECT
            )
            rt.dialogs.advance(
                session=session,
                conversation_id=prompt.conversation_id,
                text=HOSTILE,
                turn_id="web:1",
                given_by=GivenBy.PROSPECT,
            )
        problems: list[str] = []
        page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
        page.on(
            "console",
            lambda message: (
                problems.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )

        page.goto(f"{baton_url}/dashboard/leads/{lead.id}")
        expect(page).to_have_url(
            f"{baton_url}/dashboard/login?next=%2Fdashboard%2Fleads%2F{lead.id}"
        )
        page.fill("#email", user.email)
        page.fill("#password", "not my password")
        page.click("button[type=submit]")
        expect(page.get_by_role("alert")).to_have_text("The email or password is wrong.")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")

        expect(page).to_have_url(f"{baton_url}/dashboard/leads/{lead.id}")
        expect(page.get_by_role("heading", level=1)).to_have_text("Dana Whitfield")
        transcript = page.locator("#conversations")
        expect(transcript).to_contain_text(HOSTILE)  # shown as the text typed, not run
        expect(page.locator("#stages")).to_contain_text("New → MQL")
        # The stylesheet loaded under the page's CSP (the topbar is styled dark).
        background = page.locator(".topbar").evaluate("e => getComputedStyle(e).backgroundColor")
        assert background == "rgb(29, 35, 48)"
        assert page.title() != "pwned"

        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(f"{baton_url}/dashboard/login")
        page.goto(f"{baton_url}/dashboard/leads/{lead.id}")
        expect(page).to_have_url(
            f"{baton_url}/dashboard/login?next=%2Fdashboard%2Fleads%2F{lead.id}"
        )
        assert problems == []
