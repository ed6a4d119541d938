"""The Flows & rules page in a real browser with JavaScript off: the diagram is drawn, the
page breaks no rule of the Content Security Policy, the mermaid source opens.

Chromium comes from the system (`apt-get install chromium`); skipped without it, except under
CI=true, where it must run.
"""

from __future__ import annotations

from pathlib import Path

from dialogs.flow import default_flow
from qualification.stages import Role
from storage.accounts import set_password
from tests.bot.widget.browser import CHROMIUM, CHROMIUM_ARGS, baton_server, require_chromium
from tests.factories import make_user

require_chromium()

from playwright.sync_api import expect, sync_playwright  # noqa: E402

PASSWORD = "correct horse battery staple"


def test_flows_page_draws_the_flow_without_javascript(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path}/baton.db"
    with (
        baton_server(database_url, site_origin="http://localhost:1") as (baton_url, app),
        sync_playwright() as p,
    ):
        with app.state.runtime.session() as session:
            user = make_user(session, role=Role.SDR)
            set_password(session=session, user=user, password=PASSWORD)
            session.commit()
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(java_script_enabled=False).new_page()
            problems: list[str] = []
            page.on(
                "console",
                lambda message: (
                    problems.append(message.text)
                    if "Content Security Policy" in message.text
                    else None
                ),
            )
            page.goto(f"{baton_url}/dashboard/flows")
            page.fill("#email", user.email)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            expect(page).to_have_url(f"{baton_url}/dashboard/flows")
            expect(page.get_by_role("heading", level=1)).to_have_text("Flows & rules")

            diagram = page.get_by_role("img", name="Diagram of the flow BANT qualification")
            expect(diagram).to_be_visible()
            box = diagram.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 1000
            nodes = page.locator("svg.flow-diagram g.flow-node-step")
            expect(nodes).to_have_count(len(default_flow().steps))
            first = nodes.first.bounding_box()
            assert first is not None and first["width"] > 200  # drawn at size, not collapsed
            expect(
                page.locator("svg.flow-diagram text", has_text="not_decision_maker")
            ).to_be_visible()

            source = page.locator("details.mermaid-source pre")
            expect(source).to_be_hidden()
            page.click("details.mermaid-source summary")
            expect(source).to_be_visible()
            expect(source).to_contain_text("flowchart TD")
            assert problems == []
        finally:
            browser.close()
