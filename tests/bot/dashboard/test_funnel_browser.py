"""The funnel page in a real browser: its SVG charts render (visible, with size, bars drawn to
scale) under the dashboard's CSP, with a screenshot in test-output/funnel.png.

Chromium comes from the system (`apt-get install chromium`); skipped without it, except under
CI=true, where it must run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from qualification.lifecycle import StageEvent
from storage.accounts import set_password
from tests.bot.widget.browser import CHROMIUM, CHROMIUM_ARGS, baton_server, require_chromium
from tests.storage.funnel_seed import Journeys, day, seed_funnel

require_chromium()

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

OUTPUT = Path(__file__).resolve().parents[3] / "test-output"
PASSWORD = "correct horse battery staple"
HOSTILE = "<img src=x onerror=\"document.title='pwned'\">Spring"
CHARTS = (
    "funnel-chart",
    "channel-chart",
    "campaign-chart",
    "asset-chart",
    "weeks-chart",
    "stage-time-chart",
    "nurture-reasons-chart",
    "disqualified-reasons-chart",
    "people-chart",
)


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 900})
        finally:
            browser.close()


def test_the_funnel_charts_render(page: Page, tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path}/baton.db"
    with baton_server(database_url, site_origin="http://localhost:1") as (baton_url, app):
        with app.state.runtime.session() as session:
            seeded = seed_funnel(session)
            manager = seeded.users["morgan"]
            set_password(session=session, user=manager, password=PASSWORD)
            session.commit()
            journeys = Journeys(session)
            lead = journeys.lead(source_channel="ads", source_campaign=HOSTILE)
            journeys.move(lead, StageEvent.MARK_MQL, day(3, 3))
        problems: list[str] = []
        page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
        page.on(
            "console",
            lambda message: (
                problems.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )

        page.goto(f"{baton_url}/dashboard/login?next=/dashboard/funnel")
        page.fill("#email", manager.email)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{baton_url}/dashboard/funnel")
        page.fill("input[name=from]", "2030-01-07")
        page.fill("input[name=to]", "2030-02-03")
        page.get_by_role("button", name="Show").click()
        expect(page).to_have_url(f"{baton_url}/dashboard/funnel?from=2030-01-07&to=2030-02-03")

        for chart_id in CHARTS:
            chart = page.locator(f"svg#{chart_id}")
            expect(chart).to_be_visible()
            box = chart.bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 20, chart_id
        # Accessible names come from each chart's <title>.
        expect(page.get_by_role("img", name="Median time in each stage")).to_be_visible()

        # The funnel's bars are drawn to scale and coloured by the stylesheet (not CSP-blocked).
        bars = page.locator("svg#funnel-chart rect")
        widths = [bars.nth(i).bounding_box()["width"] for i in range(bars.count())]  # type: ignore[index]
        assert widths[0] > 0
        assert widths[1] / widths[0] == pytest.approx(6 / 11, abs=0.02)  # 6 SALs of 11 MQLs
        fill = bars.nth(0).evaluate("e => getComputedStyle(e).fill")
        assert fill == "rgb(111, 155, 232)"
        # The hostile campaign name is text in the chart, not an element.
        expect(page.locator("#by-campaign")).to_contain_text(HOSTILE)
        assert page.locator("svg#campaign-chart img, #by-campaign img").count() == 0
        assert page.title() != "pwned"

        OUTPUT.mkdir(exist_ok=True)
        shot = OUTPUT / "funnel.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the funnel page: {shot}")  # noqa: T201
        assert problems == []
