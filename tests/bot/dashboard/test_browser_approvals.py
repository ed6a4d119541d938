"""From the website to sales in a real browser: a prospect qualifies in the embedded widget, a
manager finds the request in the approvals queue, reads the lead and approves it.

Chromium comes from the system (`apt-get install chromium`); skipped without it, except under
CI=true, where it must run.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlmodel import select

from qualification.stages import HandoffStatus, Role, Stage
from storage.accounts import set_password
from storage.models import HandoffRequest, Lead, OutboxItem
from tests.bot.widget.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    WIDGET_ID,
    baton_server,
    host_site,
    require_chromium,
)
from tests.factories import make_user

require_chromium()

from playwright.sync_api import FrameLocator, Page, expect, sync_playwright  # noqa: E402

OUTPUT = Path(__file__).resolve().parents[3] / "test-output"
PASSWORD = "correct horse battery staple"
NEED = "Our reps waste hours on manual data entry"


def say(frame: FrameLocator, text: str, expect_next: str) -> None:
    box = frame.locator("#answer")
    expect(box).to_be_enabled()
    box.fill(text)
    box.press("Enter")
    expect(frame.locator(".bubble.bot").last).to_contain_text(
        re.compile(expect_next, re.IGNORECASE)
    )


def qualify_in_the_widget(page: Page, origin: str) -> None:
    """The prospect's side: the host site's launcher, the chat, the hand-off to sales."""
    page.goto(f"{origin}/pricing")
    page.locator(f"[data-baton-launcher='{WIDGET_ID}']").click()
    frame = page.frame_locator(f"iframe[data-baton-frame='{WIDGET_ID}']")
    expect(frame.locator(".bubble.bot").last).to_contain_text("what's your name")
    say(frame, "Jane Doe", "work email")
    say(frame, "jane@acme-approvals.io", "which company")
    say(frame, "Acme", "main challenge")
    say(frame, NEED, "budget")
    say(frame, "about $50k a year", "role")
    say(frame, "I'm the VP of Sales and I decide", "when would you")
    say(frame, "next month", "how many people")
    say(frame, "about 250", "what do you use")
    frame.get_by_role("button", name="A CRM").click()
    expect(frame.locator(".bubble.bot").last).to_contain_text("sales team will reach out")


def test_a_manager_approves_a_lead_that_qualified_in_the_widget(tmp_path: Path) -> None:
    OUTPUT.mkdir(exist_ok=True)
    with host_site() as site:
        database_url = f"sqlite:///{tmp_path}/baton.db"
        with baton_server(database_url, site_origin=site.origin) as (baton_url, app):
            site.baton_url = baton_url
            rt = app.state.runtime
            with rt.session() as session:
                manager = make_user(session, role=Role.MANAGER, name="Morgan Lee")
                set_password(session=session, user=manager, password=PASSWORD)
                session.commit()

            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    prospect = browser.new_context(viewport={"width": 1024, "height": 800})
                    qualify_in_the_widget(prospect.new_page(), site.origin)
                    prospect.close()

                    with rt.session() as session:
                        request = session.exec(select(HandoffRequest)).one()
                    assert request.status is HandoffStatus.PENDING
                    card = f"#request-{request.id}"

                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    page = context.new_page()
                    problems: list[str] = []
                    page.on("dialog", lambda d: problems.append(f"dialog: {d.message}"))
                    page.on(
                        "console",
                        lambda m: (
                            problems.append(m.text) if "Content Security Policy" in m.text else None
                        ),
                    )

                    # The manager logs in and lands on the queue.
                    page.goto(f"{baton_url}/dashboard/approvals")
                    expect(page).to_have_url(
                        f"{baton_url}/dashboard/login?next=%2Fdashboard%2Fapprovals"
                    )
                    page.fill("#email", manager.email)
                    page.fill("#password", PASSWORD)
                    page.click("button[type=submit]")
                    expect(page).to_have_url(f"{baton_url}/dashboard/approvals")
                    expect(page.get_by_role("heading", level=1)).to_have_text("Approvals")
                    queued = page.locator(card)
                    expect(queued).to_contain_text("Jane Doe")
                    expect(queued).to_contain_text("Acme")
                    expect(queued).to_contain_text("USD 50,000")
                    expect(queued).to_contain_text("Requested by the prospect (web)")
                    expect(queued.locator("[data-testid=score]")).to_contain_text("points")
                    page.screenshot(path=str(OUTPUT / "dashboard-approvals.png"), full_page=True)

                    # It opens the lead: the score with its ledger, and the transcript.
                    queued.get_by_role("link", name="Jane Doe").click()
                    expect(page).to_have_url(f"{baton_url}/dashboard/leads/{request.lead_id}")
                    expect(page.locator("[data-testid=stage]")).to_have_text("SAL")
                    score = page.locator("#score")
                    expect(score).to_contain_text("bant.")
                    assert score.locator("tr.ledger-entry").count() >= 4
                    expect(page.locator("#conversations")).to_contain_text(NEED)
                    expect(page.locator("#conversations")).to_contain_text("about $50k a year")
                    page.screenshot(path=str(OUTPUT / "dashboard-lead.png"), full_page=True)

                    # And approves it there.
                    handoff = page.locator("#handoff")
                    handoff.get_by_label("Comment").fill("Budget and a VP who signs: go.")
                    handoff.get_by_role("button", name="Approve").click()
                    expect(page).to_have_url(
                        f"{baton_url}/dashboard/leads/{request.lead_id}?done={request.id}"
                    )
                    expect(page.get_by_role("status")).to_have_text(
                        "You approved the handoff of Jane Doe; the lead is now SQL."
                    )
                    expect(page.locator("[data-testid=stage]")).to_have_text("SQL")
                    expect(page.locator("#handoff")).to_have_count(0)

                    page.get_by_role("link", name="Approvals").click()
                    expect(page.locator("#pending")).to_contain_text(
                        "Nothing is waiting for a decision."
                    )
                    decided = page.locator(f"#decided-{request.id}")
                    expect(decided).to_contain_text("Approved")
                    expect(decided).to_contain_text("Morgan Lee")
                    expect(decided).to_contain_text("Budget and a VP who signs: go.")
                    page.screenshot(
                        path=str(OUTPUT / "dashboard-approvals-decided.png"), full_page=True
                    )
                    assert problems == []
                    context.close()
                finally:
                    browser.close()

            with rt.session() as session:
                lead = session.get(Lead, request.lead_id)
                assert lead is not None and lead.stage is Stage.SQL
                stored = session.get(HandoffRequest, request.id)
                assert stored is not None and stored.status is HandoffStatus.APPROVED
                assert stored.decided_by_user_id == manager.id
                (decision,) = session.exec(
                    select(OutboxItem).where(OutboxItem.topic == "handoff.decided")
                ).all()
                assert decision.payload["request_id"] == request.id
