"""The widget in a real browser: Chromium, a uvicorn server and a host page on another origin.

Chromium comes from the system (`apt-get install chromium`); these tests skip without it,
except under CI=true, where they must run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func
from sqlmodel import select

from bot.http_errors import DATABASE_RETRY_AFTER
from bot.settings import Settings
from storage.models import Message
from tests.bot.widget.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    WIDGET_ID,
    add_widget,
    baton_server,
    host_site,
    require_chromium,
)
from tests.bot.widget.test_live_stream import serving
from tests.conftest import BACKENDS
from tests.outages import app_on_downable_database

require_chromium()

from playwright.sync_api import (  # noqa: E402
    Browser,
    FrameLocator,
    Page,
    Playwright,
    Response,
    expect,
    sync_playwright,
)

OUTPUT = Path(__file__).resolve().parents[3] / "test-output"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(Baton's URL, the host site's origin)."""
    db = tmp_path_factory.mktemp("browser") / "baton.db"
    with host_site() as site:
        with baton_server(f"sqlite:///{db}", site_origin=site.origin) as (baton_url, _app):
            site.baton_url = baton_url
            yield baton_url, site.origin


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs  # type: ignore[attr-defined]
    yield page
    context.close()


def open_widget(page: Page, origin: str, query: str = "") -> FrameLocator:
    page.goto(f"{origin}/pricing{query}")
    launcher = page.locator(f"[data-baton-launcher='{WIDGET_ID}']")
    expect(launcher).to_be_visible()
    launcher.click()
    frame = page.frame_locator(f"iframe[data-baton-frame='{WIDGET_ID}']")
    expect(frame.locator(".bubble.bot").last).to_contain_text("what's your name")
    return frame


def say(frame: FrameLocator, text: str, expect_next: str) -> None:
    box = frame.locator("#answer")
    expect(box).to_be_enabled()
    box.fill(text)
    box.press("Enter")
    expect(frame.locator(".bubble.bot").last).to_contain_text(
        re.compile(expect_next, re.IGNORECASE)
    )


def test_a_prospect_qualifies_in_the_embedded_widget(page: Page, servers: tuple[str, str]) -> None:
    _baton, origin = servers
    frame = open_widget(page, origin, "?utm_campaign=spring")
    say(frame, "Jane Doe", "work email")
    expect(frame.locator("#answer")).to_have_attribute("type", "email")
    expect(frame.locator(".note.consent")).to_have_text(
        "We use your email only to follow up on this chat."
    )
    say(frame, "jane@acme-browser.io", "which company")
    say(frame, "Acme", "main challenge")
    say(frame, "Our reps waste hours on manual data entry", "budget")
    say(frame, "about $50k a year", "role")
    say(frame, "I'm the VP of Sales and I decide", "when would you")
    say(frame, "next month", "how many people")
    expect(frame.locator("#answer")).to_have_attribute("inputmode", "numeric")
    say(frame, "about 250", "what do you use")
    OUTPUT.mkdir(exist_ok=True)
    shot = OUTPUT / "widget-open.png"
    page.screenshot(path=str(shot))
    print(f"screenshot of the open widget: {shot}")  # noqa: T201
    frame.get_by_role("button", name="A CRM").click()
    expect(frame.locator(".bubble.bot").last).to_contain_text("sales team will reach out")
    expect(frame.locator(".note.ended")).to_be_visible()
    expect(frame.locator("#answer")).to_be_disabled()
    expect(frame.locator("#progress")).to_have_attribute("aria-valuenow", "100")
    assert page.evaluate("window.BatonWidget.version") == "1.0.0"
    # The host page's own message handler was left in place.
    assert page.evaluate("typeof window.onmessage") == "function"


def test_a_reload_mid_chat_resumes_with_history(page: Page, servers: tuple[str, str]) -> None:
    _baton, origin = servers
    frame = open_widget(page, origin)
    say(frame, "Resuming Rita", "work email")
    token = page.evaluate(f"localStorage.getItem('baton:{WIDGET_ID}:token')")
    assert token
    page.reload()
    frame = page.frame_locator(f"iframe[data-baton-frame='{WIDGET_ID}']")
    expect(frame.locator(".bubble.visitor")).to_have_text(["Resuming Rita"])
    expect(frame.locator(".bubble.bot").last).to_contain_text("work email")
    assert page.evaluate(f"localStorage.getItem('baton:{WIDGET_ID}:token')") == token
    say(frame, "rita@resume.io", "which company")


def test_a_script_answer_is_shown_as_text(page: Page, servers: tuple[str, str]) -> None:
    _baton, origin = servers
    frame = open_widget(page, origin)
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    say(frame, hostile, "work email")
    expect(frame.locator(".bubble.visitor")).to_have_text([hostile])
    expect(frame.locator(".bubble img")).to_have_count(0)
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_a_lost_connection_is_retried_without_losing_the_answer(
    page: Page, servers: tuple[str, str]
) -> None:
    _baton, origin = servers
    frame = open_widget(page, origin)
    failures = {"left": 2}

    def flaky(route: object) -> None:
        if failures["left"] > 0:
            failures["left"] -= 1
            route.abort()  # type: ignore[attr-defined]
        else:
            route.continue_()  # type: ignore[attr-defined]

    page.context.route("**/widget/*/turn", flaky)
    frame.locator("#answer").fill("Offline Olga")
    frame.locator("#answer").press("Enter")
    expect(frame.locator("#status")).to_contain_text("Can't reach the server")
    expect(frame.locator(".bubble.bot").last).to_contain_text("work email", timeout=15_000)
    expect(frame.locator("#status")).to_be_hidden()
    expect(frame.locator(".bubble.visitor")).to_have_text(["Offline Olga"])


def test_the_widget_fits_a_360_pixel_screen(browser: Browser, servers: tuple[str, str]) -> None:
    _baton, origin = servers
    context = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        frame = open_widget(page, origin)
        box = page.locator(f"iframe[data-baton-frame='{WIDGET_ID}']").bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
        say(frame, "Narrow Nora", "work email")
        send = frame.locator("#send").bounding_box()
        assert send is not None and send["x"] + send["width"] <= box["x"] + box["width"]
    finally:
        context.close()


def test_a_visitor_whose_chat_ended_starts_a_new_one(page: Page, servers: tuple[str, str]) -> None:
    _baton, origin = servers
    frame = open_widget(page, origin)
    say(frame, "Nina Nurture", "work email")
    say(frame, "nina@restart-browser.io", "which company")
    say(frame, "Restart Co", "main challenge")
    say(frame, "Our reps waste hours on manual data entry", "budget")
    say(frame, "skip", "role")
    say(frame, "I'm the VP of Sales and I decide", "when would you")
    say(frame, "skip", "how many people")
    say(frame, "skip", "what do you use")
    frame.get_by_role("button", name="A CRM").click()
    expect(frame.locator(".bubble.bot").last).to_contain_text("timing isn't quite right")
    start_again = frame.get_by_role("button", name="Start a new conversation")
    # Focused as soon as it appears, so a screen reader reads it out with the ended note.
    expect(start_again).to_be_focused()
    expect(start_again).to_have_accessible_description("This chat has ended. Thank you!")
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "widget-restart.png"))
    token = page.evaluate(f"localStorage.getItem('baton:{WIDGET_ID}:token')")

    page.keyboard.press("Enter")
    # The new conversation asks only what is still unknown: the skipped budget first.
    expect(frame.locator(".bubble.bot")).to_have_count(1)
    expect(frame.locator(".bubble.bot").last).to_contain_text("Hi Nina!")
    expect(frame.locator(".bubble.bot").last).to_contain_text("budget")
    expect(start_again).to_be_hidden()
    expect(frame.locator("#answer")).to_be_focused()
    say(frame, "about $50k a year", "when would you")

    page.reload()
    frame = page.frame_locator(f"iframe[data-baton-frame='{WIDGET_ID}']")
    expect(frame.locator(".bubble.visitor")).to_have_text(["about $50k a year"])
    expect(frame.locator(".bubble.bot").last).to_contain_text("When would you")
    expect(frame.locator("#answer")).to_be_enabled()
    expect(frame.get_by_role("button", name="Start a new conversation")).to_be_hidden()
    assert page.evaluate(f"localStorage.getItem('baton:{WIDGET_ID}:token')") == token


@dataclass
class Outage:
    """Baton (stream hub running) on a database of its own that the test takes away."""

    origin: str
    app: FastAPI
    take_down: Callable[[], None]
    bring_back: Callable[[], None]


@pytest.fixture(params=BACKENDS)
def outage(request: pytest.FixtureRequest) -> Iterator[Outage]:
    def settings(url: str) -> Settings:
        return Settings(database_url=url, outbox_worker=False)

    with app_on_downable_database(request.param, request, settings) as db, host_site() as site:
        add_widget(db.app, site_origin=site.origin)
        with serving(db.app) as baton_url:
            site.baton_url = baton_url
            yield Outage(site.origin, db.app, db.take_down, db.bring_back)


@pytest.fixture
def outage_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    """A page closed before the server stops (so no stream of it holds the shutdown up)."""
    request.getfixturevalue("outage")
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    yield context.new_page()
    context.close()


def test_an_answer_sent_while_the_database_is_down_is_kept_and_applied_once(
    outage: Outage, outage_page: Page
) -> None:
    page = outage_page
    frame = open_widget(page, outage.origin)
    say(frame, "Outage Otto", "work email")
    tries: list[tuple[dict[str, Any], int]] = []  # (what was sent, the status it got)

    def answered(response: Response) -> None:
        if response.url.endswith("/turn"):
            tries.append((response.request.post_data_json, response.status))

    page.on("response", answered)
    email = "otto@outage-browser.io"

    outage.take_down()
    with page.expect_response(lambda r: r.url.endswith("/turn") and r.status == 503):
        frame.locator("#answer").fill(email)
        frame.locator("#answer").press("Enter")
    status = frame.locator("#status")
    expect(status).to_contain_text(f"Reconnecting… next try in {DATABASE_RETRY_AFTER} s.")
    expect(status).to_contain_text("Your message is kept and will be sent.")
    expect(frame.locator(".bubble.visitor.pending")).to_have_text([email])
    expect(frame.locator("#typing")).to_be_hidden()
    # Sent again after the server's Retry-After, and refused again while the database is away.
    with page.expect_response(lambda r: r.url.endswith("/turn"), timeout=10_000) as again:
        pass
    assert again.value.status == 503
    expect(status).to_be_visible()

    outage.bring_back()
    expect(frame.locator(".bubble.bot").last).to_contain_text("Which company", timeout=15_000)
    expect(status).to_be_hidden()
    expect(frame.locator(".bubble.visitor")).to_have_text(["Outage Otto", email])
    expect(frame.locator(".bubble.visitor.pending")).to_have_count(0)
    expect(frame.locator(".bubble.bot", has_text="work email")).to_have_count(1)
    expect(frame.locator(".bubble.bot", has_text="Which company")).to_have_count(1)
    # Every attempt carried the same turn id; the last one was applied, exactly once.
    sent = [body for body, _status in tries if body["text"] == email]
    assert len(sent) >= 3 and all(body == sent[0] for body in sent)
    got = [code for body, code in tries if body["text"] == email]
    assert got == [503] * (len(sent) - 1) + [200]
    with outage.app.state.runtime.session() as session:
        stored = session.exec(
            select(func.count())
            .select_from(Message)
            .where(Message.direction == "in", Message.turn_id == f"web:{sent[0]['turn_id']}")
        ).one()
    assert stored == 1
    # The chat carries on as if nothing had happened.
    say(frame, "Outage Inc", "main challenge")
    expect(frame.locator("#connection")).to_be_hidden()
