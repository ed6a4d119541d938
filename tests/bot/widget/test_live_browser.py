"""A live chat in a real browser: the prospect in the embedded widget, the SDR through the
services (as the Slack side calls them), Baton under uvicorn with its stream hub running."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlmodel import select

from bot.app import create_app
from bot.runtime import Runtime
from dialogs import live
from storage.models import FollowUp, LiveChat, Message, Visitor
from storage.visitors import hash_token
from storage.widgets import create_widget
from tests.bot.widget.browser import CHROMIUM, CHROMIUM_ARGS, WIDGET_ID, host_site, require_chromium
from tests.bot.widget.test_live import live_settings, open_chat_of, sdr, sdr_says, take
from tests.bot.widget.test_live_stream import serving
from tests.bot.widget.test_turn import QUALIFYING

require_chromium()

from playwright.sync_api import (  # noqa: E402
    Browser,
    Dialog,
    FrameLocator,
    Page,
    Playwright,
    Route,
    expect,
    sync_playwright,
)

OUTPUT = Path(__file__).resolve().parents[3] / "test-output"
HOSTILE = "Hi, I'm Alex <img src=x onerror=alert(1)><script>alert(2)</script>"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, FastAPI]]:
    """(the host site's origin, Baton's app) with live chat on around the clock."""
    db = tmp_path_factory.mktemp("live-browser") / "baton.db"
    with host_site() as site:
        app = create_app(live_settings(f"sqlite:///{db}"))
        rt = app.state.runtime
        with rt.session() as session:
            create_widget(
                session=session,
                flows=rt.flows,
                public_id=WIDGET_ID,
                settings={"allowed_origins": [site.origin], "name": "Acme"},
            )
            session.commit()
        with serving(app) as baton_url:
            site.baton_url = baton_url
            yield site.origin, app
        rt.engine.dispose()


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

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.dialogs = dialogs  # type: ignore[attr-defined]
    yield page
    context.close()


def frame_of(page: Page) -> FrameLocator:
    return page.frame_locator(f"iframe[data-baton-frame='{WIDGET_ID}']")


def open_widget(page: Page, origin: str) -> FrameLocator:
    page.goto(f"{origin}/pricing")
    page.locator(f"[data-baton-launcher='{WIDGET_ID}']").click()
    frame = frame_of(page)
    expect(frame.locator(".bubble.bot").last).to_contain_text("what's your name")
    return frame


def say(frame: FrameLocator, text: str) -> None:
    box = frame.locator("#answer")
    expect(box).to_be_enabled()
    box.fill(text)
    box.press("Enter")


def conversation_of(rt: Runtime, page: Page) -> int:
    token = page.evaluate(f"localStorage.getItem('baton:{WIDGET_ID}:token')")
    with rt.session() as session:
        visitor = session.exec(select(Visitor).where(Visitor.token_hash == hash_token(token))).one()
        session.commit()
    assert visitor.conversation_id is not None
    return visitor.conversation_id


def ask_for_a_person(page: Page, origin: str, name: str) -> FrameLocator:
    frame = open_widget(page, origin)
    say(frame, name)
    expect(frame.locator(".bubble.bot").last).to_contain_text("work email")
    say(frame, "talk to a human")
    expect(frame.locator(".bubble.bot").last).to_contain_text("a person will pick up")
    expect(frame.locator("#live-status")).to_have_text("Waiting for someone from our team…")
    return frame


def test_a_prospect_talks_with_an_sdr_live(page: Page, servers: tuple[str, FastAPI]) -> None:
    origin, app = servers
    rt = app.state.runtime
    frame = ask_for_a_person(page, origin, "Tess Talker")
    expect(frame.locator("#answer")).to_be_enabled()  # the chat goes on with a person
    bots = frame.locator(".bubble.bot").count()

    conversation_id = conversation_of(rt, page)
    alex = sdr(rt, "Alex Doe")
    chat = open_chat_of(rt, conversation_id)
    take(rt, chat, alex)
    expect(frame.locator(".note.system").last).to_have_text(
        "Alex Doe from our team has joined the chat."
    )
    expect(frame.locator("#live-status")).to_have_text("Alex Doe is here")
    sdr_says(rt, chat, alex, HOSTILE, "180.1")
    message = frame.locator(".bubble.sdr").last
    expect(message.locator(".author")).to_have_text("Alex Doe")
    expect(message.locator(".text")).to_have_text(HOSTILE)
    expect(frame.locator(".bubble img")).to_have_count(0)

    say(frame, "Hi Alex! We need a CRM.")
    mine = frame.locator(".bubble.visitor").last
    expect(mine).to_have_text("Hi Alex! We need a CRM.")
    expect(mine).to_have_attribute("data-state", "sent")
    sdr_says(rt, chat, alex, "Great, tell me more.", "180.2")
    expect(frame.locator(".bubble.sdr .text").last).to_have_text("Great, tell me more.")
    expect(frame.locator(".bubble.bot")).to_have_count(bots)  # the bot stayed silent
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "widget-live-chat.png"))
    with rt.session() as session:
        stored = session.exec(
            select(Message.author, Message.text).where(
                Message.conversation_id == conversation_id, Message.author == "prospect"
            )
        ).all()
        assert ("prospect", "Hi Alex! We need a CRM.") in stored
    # Each message is shown once, in the conversation's order.
    seqs = frame.locator("#messages [data-seq]").evaluate_all(
        "els => els.map(e => Number(e.getAttribute('data-seq')))"
    )
    assert seqs == sorted(seqs)
    shown = frame.locator(".bubble").all_inner_texts()

    page.reload()
    frame = frame_of(page)
    expect(frame.locator(".bubble.sdr .text")).to_have_text([HOSTILE, "Great, tell me more."])
    expect(frame.locator(".bubble")).to_have_count(len(shown))
    assert frame.locator(".bubble").all_inner_texts() == shown
    expect(frame.locator(".note.system")).to_have_text(
        ["Alex Doe from our team has joined the chat."]
    )
    expect(frame.locator("#live-status")).to_have_text("Alex Doe is here")
    expect(frame.locator(".bubble img")).to_have_count(0)
    assert page.dialogs == []  # type: ignore[attr-defined]

    # Handed back: the bot asks its question again and answers come back to it.
    assert chat.id is not None
    with rt.session() as session:
        live.hand_back(
            session=session,
            engine=rt.dialogs,
            live_chat_id=chat.id,
            user=alex,
            now=rt.dialogs.clock(),
        )
    expect(frame.locator(".bubble.bot").last).to_contain_text("work email")
    expect(frame.locator("#live-status")).to_be_hidden()
    say(frame, "tess@talker-browser.io")
    expect(frame.locator(".bubble.bot").last).to_contain_text("which company", ignore_case=True)


def test_a_missed_chat_offers_a_follow_up_and_asks_for_an_email(
    page: Page, servers: tuple[str, FastAPI]
) -> None:
    origin, app = servers
    rt = app.state.runtime
    frame = ask_for_a_person(page, origin, "Mia Missed")
    chat = open_chat_of(rt, conversation_of(rt, page))
    with rt.session() as session:
        live.expire_unanswered(
            session=session, engine=rt.dialogs, now=chat.answer_by + timedelta(seconds=1)
        )
    expect(frame.locator(".note.system").last).to_contain_text("nobody could join")
    expect(frame.locator("#live-status")).to_be_hidden()
    offers = frame.get_by_role("group", name="Other ways to reach us")
    expect(offers.get_by_role("button", name="Book a meeting")).to_be_visible()
    offers.get_by_role("button", name="Email me").click()
    field = frame.locator("#followup-email")
    expect(field).to_be_focused()
    expect(frame.locator(".email-ask label")).to_contain_text("give an email address")
    field.fill("not an email")
    field.press("Enter")
    expect(frame.locator(".email-ask label")).to_contain_text("does not look right")
    frame.locator("#followup-email").fill("mia@missed-browser.io")
    frame.locator("#followup-email").press("Enter")
    expect(frame.locator(".note.system").last).to_have_text(
        "Thanks! Someone from our team will email you shortly."
    )
    expect(offers).to_be_hidden()
    with rt.session() as session:
        wishes = session.exec(select(FollowUp).where(FollowUp.live_chat_id == chat.id)).all()
        assert [(w.kind, w.cause) for w in wishes] == [("email", "missed")]


def test_messages_arrive_by_polling_when_the_stream_fails(
    page: Page, servers: tuple[str, FastAPI]
) -> None:
    origin, app = servers
    rt = app.state.runtime

    def broken(route: Route) -> None:
        route.abort()

    page.context.route("**/widget/*/stream", broken)
    frame = ask_for_a_person(page, origin, "Paul Polling")
    expect(frame.locator("#connection")).to_have_text("Reconnecting…")
    chat = open_chat_of(rt, conversation_of(rt, page))
    alex = sdr(rt, "Alex Poll")
    take(rt, chat, alex)
    sdr_says(rt, chat, alex, "Polling works too.", "181.1")
    expect(frame.locator(".bubble.sdr .text")).to_have_text(["Polling works too."], timeout=20_000)
    expect(frame.locator("#live-status")).to_have_text("Alex Poll is here")
    expect(frame.locator("#connection")).to_be_hidden()
    expect(frame.locator(".note.system")).to_have_count(1)


def test_the_offer_to_talk_to_someone_now_after_the_questions(
    page: Page, servers: tuple[str, FastAPI]
) -> None:
    origin, app = servers
    rt = app.state.runtime
    frame = open_widget(page, origin)
    for text in QUALIFYING[:-1]:
        bots = frame.locator(".bubble.bot").count()
        say(frame, text.replace("acme-corp", "acme-live-browser"))
        expect(frame.locator(".bubble.bot")).to_have_count(bots + 1)
    frame.get_by_role("button", name=QUALIFYING[-1]).click()
    expect(frame.locator(".bubble.bot").last).to_contain_text("sales team will reach out")
    talk = frame.get_by_role("button", name="Talk to someone now")
    expect(talk).to_be_visible()
    talk.click()
    expect(frame.locator("#live-status")).to_have_text("Waiting for someone from our team…")
    expect(frame.locator(".note.system").last).to_contain_text("connecting you with someone")
    expect(talk).to_be_hidden()
    expect(frame.locator("#answer")).to_be_enabled()
    with rt.session() as session:
        chat = session.exec(
            select(LiveChat).where(LiveChat.conversation_id == conversation_of(rt, page))
        ).one()
        assert chat.status == "waiting" and chat.resume_step is None
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "widget-live.png"))


def test_a_closed_panel_keeps_no_stream_and_catches_up_when_opened(
    page: Page, servers: tuple[str, FastAPI]
) -> None:
    origin, app = servers
    rt = app.state.runtime
    streams: list[str] = []
    page.on("request", lambda r: streams.append("open") if r.url.endswith("/stream") else None)
    page.on(
        "requestfailed", lambda r: streams.append("closed") if r.url.endswith("/stream") else None
    )
    frame = ask_for_a_person(page, origin, "Clara Closed")
    chat = open_chat_of(rt, conversation_of(rt, page))
    alex = sdr(rt, "Alex Away")
    take(rt, chat, alex)
    expect(frame.locator("#live-status")).to_have_text("Alex Away is here")
    launcher = page.locator(f"[data-baton-launcher='{WIDGET_ID}']")
    launcher.click()  # the loader hides the panel
    expect(page.locator(f"iframe[data-baton-frame='{WIDGET_ID}']")).to_be_hidden()
    for _ in range(50):  # the frame notices within a moment and closes its stream
        if streams[-1:] == ["closed"]:
            break
        page.wait_for_timeout(100)
    assert streams[-1:] == ["closed"], streams
    sdr_says(rt, chat, alex, "Still there?", "182.1")
    page.wait_for_timeout(500)
    assert streams[-1] == "closed"  # nothing reconnected while hidden
    launcher.click()
    expect(frame.locator(".bubble.sdr .text")).to_have_text(["Still there?"])
    assert streams.count("open") >= 2
