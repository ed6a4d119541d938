"""Live handoff end to end: a prospect in the widget on a customer's site, SDRs in Slack.

Every part is real except Slack: `baton serve` (its own outbox worker posting to the fake Slack
Web API server on loopback), the widget embedded in a host page on another origin and driven in
Debian's Chromium, and the SDRs' clicks and thread replies sent to /slack/events signed as Slack
signs them.
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    Dialog,
    FrameLocator,
    Page,
    Playwright,
    expect,
    sync_playwright,
)
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.slack.live_blocks import REQUEST_HANDOFF, TAKE, relay_text
from storage import live_chats as rows
from storage.db import create_db_engine
from storage.handoffs import pending_handoff
from storage.models import FollowUp, LiveChat
from tests.bot.dashboard.pages import csrf_token, section
from tests.bot.live_handoff import (
    APPROVAL_CHANNEL,
    MANAGER_EMAIL,
    PASSWORD,
    SDR,
    SECOND_SDR,
    WIDGET,
    blocks_of,
    buttons,
    click_body,
    in_thread,
    live_cards,
    live_env,
    messages_of,
    new_event_body,
    posted_to,
    prepare,
    reply_event,
    send_signed,
    send_signed_async,
    ts_of,
    until,
    until_async,
)
from tests.bot.servers import BatonServer
from tests.bot.slack.fake_slack import Call, FakeSlack
from tests.bot.slack.signing import FORM, JSON
from tests.bot.widget.browser import CHROMIUM, CHROMIUM_ARGS, host_site, require_chromium
from tests.bot.widget.helpers import answer, open_session
from tests.bot.widget.test_live_stream import stream

HTML = {"accept": "text/html,application/xhtml+xml"}
JOINED = f"{SDR[1]} from our team has joined the chat."


@dataclass
class Stack:
    """A running `baton serve`, the fake Slack it talks to, and the host site's origin."""

    server: BatonServer
    slack: FakeSlack
    site_origin: str
    database_url: str
    engine: Engine  # the test's own connections to the server's database

    def chat(self, live_chat_id: int) -> LiveChat:
        with Session(self.engine, expire_on_commit=False) as session:
            chat = rows.get_live_chat(session=session, live_chat_id=live_chat_id)
            session.commit()
        return chat

    def threaded(self, live_chat_id: int) -> LiveChat | None:
        """The chat once the server has recorded its card's thread (just after Slack answered)."""
        chat = self.chat(live_chat_id)
        return chat if chat.slack_ts is not None else None

    def follow_ups(self, live_chat_id: int) -> list[tuple[str, str]]:
        with Session(self.engine) as session:
            found = session.exec(
                select(FollowUp.kind, FollowUp.cause).where(FollowUp.live_chat_id == live_chat_id)
            ).all()
            return [(str(kind), str(cause)) for kind, cause in found]

    def has_pending_handoff(self, lead_id: int) -> bool:
        with Session(self.engine) as session:
            return pending_handoff(session=session, lead_id=lead_id) is not None


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def server_settings() -> dict[str, str]:
    """Extra environment of the server under test."""
    return {}


def start(*servers: BatonServer) -> None:
    """Start `servers` and wait until they are ready, from a thread of its own: Playwright's
    sync API may have an event loop running in this one."""

    async def run_all() -> None:
        await asyncio.gather(*(server.run() for server in servers))

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run_all()).result()


@pytest.fixture
def stack(
    database_url: str, tmp_path: Path, fake_slack: FakeSlack, server_settings: dict[str, str]
) -> Iterator[Stack]:
    with host_site() as site:
        prepare(database_url, origins=[site.origin])
        env = live_env(database_url, fake_slack, **server_settings)
        server = BatonServer(env=env, log=tmp_path / "baton.log")
        engine = create_db_engine(database_url)
        try:
            start(server)
            site.baton_url = server.url
            yield Stack(server, fake_slack, site.origin, database_url, engine)
        finally:
            server.stop()
            engine.dispose()
            sys.stdout.write(server.report())


# --- the browser ---------------------------------------------------------------------------------


# Function scope: Playwright's sync API keeps an event loop running in this thread, which the
# async tests of this module must not find there.
@pytest.fixture
def playwright() -> Iterator[Playwright]:
    require_chromium()
    with sync_playwright() as p:
        yield p


@pytest.fixture
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
    yield page
    context.close()
    assert dialogs == []


def say(frame: FrameLocator, text: str) -> None:
    box = frame.locator("#answer")
    expect(box).to_be_enabled()
    box.fill(text)
    box.press("Enter")


def ask_for_a_person(page: Page, origin: str, name: str, email: str) -> FrameLocator:
    """On the host page, open the widget, answer two questions, then ask for a human."""
    page.goto(f"{origin}/pricing")
    page.locator(f"[data-baton-launcher='{WIDGET}']").click()
    frame = page.frame_locator(f"iframe[data-baton-frame='{WIDGET}']")
    bot = frame.locator(".bubble.bot")
    expect(bot.last).to_contain_text("what's your name")
    say(frame, name)
    expect(bot.last).to_contain_text("work email")
    say(frame, email)
    expect(bot.last).to_contain_text("which company", ignore_case=True)
    say(frame, "talk to a human")
    expect(bot.last).to_contain_text("a person will pick up")
    expect(frame.locator("#live-status")).to_have_text("Waiting for someone from our team…")
    return frame


def the_card(slack: FakeSlack) -> tuple[Call, int]:
    """The live card posted in the SDR channel, and the id of its chat (Take it's value)."""
    card = until(lambda: live_cards(slack), "the live card in the SDR channel")[0]
    return card, int(buttons(card)[TAKE]["value"])


def relays(slack: FakeSlack, thread_ts: str) -> list[str]:
    """The prospect's messages relayed to the thread, in order."""
    return [
        c.params["text"]
        for c in in_thread(slack, thread_ts)
        if str(c.params.get("text", "")).startswith("*Prospect:*")
    ]


def ephemerals(slack: FakeSlack) -> list[Call]:
    return slack.of("chat.postEphemeral")


def dashboard_transcript(base_url: str, lead_id: int) -> list[str]:
    """The lead page's conversation, as a logged-in manager reads it: each message's text."""
    with httpx.Client(base_url=base_url, timeout=10.0) as web:
        form = web.get("/dashboard/login", headers=HTML)
        assert form.status_code == 200, form.text
        login = web.post(
            "/dashboard/login",
            data={
                "email": MANAGER_EMAIL,
                "password": PASSWORD,
                "next": "",
                "csrf_token": csrf_token(form.text),
            },
            headers=HTML,
        )
        assert login.status_code == 303, login.text
        lead_page = web.get(f"/dashboard/leads/{lead_id}", headers=HTML)
        assert lead_page.status_code == 200, lead_page.text
    conversations = section(lead_page.text, "conversations")
    assert "earlier messages are not shown" not in conversations
    texts = re.findall(r'<div class="text">(.*?)</div>', conversations, re.S)
    return [unescape(text) for text in texts]


# --- 1. the whole flow ---------------------------------------------------------------------------

FIRST = "We need a CRM for 40 reps <b>now</b>."
SECOND = "Budget is about 50k a year & we sign in March."
REPLY_ONE = "Hi Dana! Happy to help <here>."
REPLY_TWO = "Which CRM do you use today?"


def test_a_prospect_asks_for_a_human_and_talks_with_an_sdr_in_slack(
    stack: Stack, page: Page
) -> None:
    slack = stack.slack
    frame = ask_for_a_person(page, stack.site_origin, "Dana Prospect", "dana@e2e-live.io")
    card, chat_id = the_card(slack)
    card_ts = ts_of(card)
    assert "Dana Prospect" in blocks_of(card) and "dana@e2e-live.io" in blocks_of(card)
    chat = until(lambda: stack.threaded(chat_id), "the card's thread recorded")
    assert (chat.status, chat.slack_channel, chat.slack_ts) == (rows.WAITING, "CSDR", card_ts)

    with httpx.Client(base_url=stack.server.url, timeout=10.0) as slack_side:
        send_signed(slack_side, click_body(SDR[0], TAKE, chat_id, ts=card_ts), FORM)
        expect(frame.locator(".note.system").last).to_have_text(JOINED)
        expect(frame.locator("#live-status")).to_have_text(f"{SDR[1]} is here")
        bots = frame.locator(".bubble.bot").count()

        # The prospect's messages reach the thread, in order.
        say(frame, FIRST)
        expect(frame.locator(".bubble.visitor").last).to_have_attribute("data-state", "sent")
        say(frame, SECOND)
        expect(frame.locator(".bubble.visitor").last).to_have_attribute("data-state", "sent")
        until(lambda: len(relays(slack, card_ts)) >= 2, "the relays in the thread")
        assert relays(slack, card_ts) == [relay_text(FIRST), relay_text(SECOND)]

        # The SDR answers in the thread; a retried and a re-sent delivery change nothing.
        first = reply_event(
            SDR[0], REPLY_ONE.replace("<", "&lt;").replace(">", "&gt;"), thread_ts=card_ts
        )
        delivery = new_event_body(first)
        send_signed(slack_side, delivery, JSON)
        send_signed(slack_side, delivery, JSON, retry=1)
        send_signed(slack_side, new_event_body(first), JSON)
        sdr_bubbles = frame.locator(".bubble.sdr")
        expect(sdr_bubbles.locator(".text")).to_have_text([REPLY_ONE])
        send_signed(
            slack_side, new_event_body(reply_event(SDR[0], REPLY_TWO, thread_ts=card_ts)), JSON
        )
        expect(sdr_bubbles.locator(".text")).to_have_text([REPLY_ONE, REPLY_TWO])
        expect(sdr_bubbles.locator(".author")).to_have_text([SDR[1], SDR[1]])
        expect(frame.locator(".bubble.bot")).to_have_count(bots)
        expect(frame.locator(".note.system")).to_have_text([JOINED])

        # Nothing the bot said while a person had the chat.
        said = messages_of(stack.database_url, chat.conversation_id)
        asked = said.index(("prospect", "talk to a human"))
        assert said[asked + 1][0] == "bot"
        after = said[asked + 2 :]
        assert {author for author, _ in after} <= {"prospect", "sdr", "system"}
        assert [text for author, text in after if author != "system"] == [
            FIRST,
            SECOND,
            REPLY_ONE,
            REPLY_TWO,
        ]
        assert ephemerals(slack) == []

        # The owner asks for the handoff from the thread's controls.
        controls = until(
            lambda: [c for c in in_thread(slack, card_ts) if REQUEST_HANDOFF in buttons(c)],
            "the owner's controls in the thread",
        )[0]
        send_signed(
            slack_side,
            click_body(SDR[0], REQUEST_HANDOFF, chat_id, ts=ts_of(controls), thread_ts=card_ts),
            FORM,
        )
        until(lambda: stack.has_pending_handoff(chat.lead_id), "a pending handoff request")
        (approval,) = until(lambda: posted_to(slack, APPROVAL_CHANNEL), "the approval card")
        assert "Handoff request for" in blocks_of(approval)
        (told,) = until(lambda: ephemerals(slack), "the SDR told the handoff was requested")
        assert "Handoff requested for" in told.params["text"]
        assert told.params["user"] == SDR[0] and told.params["thread_ts"] == card_ts

    # The lead page holds the whole conversation, each message once, in order.
    stored = messages_of(stack.database_url, chat.conversation_id)
    shown = dashboard_transcript(stack.server.url, chat.lead_id)
    assert shown == [text for _, text in stored]
    for text in (FIRST, SECOND, REPLY_ONE, REPLY_TWO, JOINED):
        assert shown.count(text) == 1, text
    assert [t for t in shown if t in (FIRST, SECOND, REPLY_ONE, REPLY_TWO)] == [
        FIRST,
        SECOND,
        REPLY_ONE,
        REPLY_TWO,
    ]
    assert len(live_cards(slack)) == 1
    assert relays(slack, card_ts) == [relay_text(FIRST), relay_text(SECOND)]


# --- 2. two servers on one PostgreSQL database ----------------------------------------------------


@pytest.fixture
def two_servers(
    database_url: str, tmp_path: Path, fake_slack: FakeSlack
) -> Iterator[tuple[BatonServer, BatonServer]]:
    """Two `baton serve` processes on one database, Slack on (the fake) and an outbox worker
    in each."""
    prepare(database_url, origins=[])
    env = live_env(database_url, fake_slack)
    servers = (
        BatonServer(env=env, log=tmp_path / "a.log"),
        BatonServer(env=env, log=tmp_path / "b.log"),
    )
    try:
        start(*servers)
        yield servers
    finally:
        for server in servers:
            server.stop()
        sys.stdout.write("".join(server.report() for server in servers))


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_reply_sent_to_one_server_reaches_the_widget_streaming_from_another(
    two_servers: tuple[BatonServer, BatonServer], fake_slack: FakeSlack, database_url: str
) -> None:
    first, second = two_servers
    async with (
        httpx.AsyncClient(base_url=first.url, timeout=10.0) as a,
        httpx.AsyncClient(base_url=second.url, timeout=10.0) as b,
    ):
        opened = await open_session(a, WIDGET)
        token = opened["token"]
        named = await answer(a, WIDGET, token, "Pat Postgres", version=opened["prompt"]["version"])
        assert named.status_code == 200, named.text
        asked = await answer(a, WIDGET, token, "talk to a human")
        assert asked.status_code == 200, asked.text
        card = (await until_async(lambda: live_cards(fake_slack), "the live card"))[0]
        card_ts, chat_id = ts_of(card), int(buttons(card)[TAKE]["value"])

        async with stream(a, token, asked.json()["reply_seq"]) as events:
            assert (await events.state())["live"]["status"] == "waiting"
            await send_signed_async(b, click_body(SDR[0], TAKE, chat_id, ts=card_ts), FORM)
            joined = await events.message(timeout=20)
            assert (joined["event"], joined["text"]) == ("joined", JOINED)
            assert (await events.state())["live"]["agent"] == SDR[1]

            typed = await answer(a, WIDGET, token, "Hello from server A", turn_id="via-a")
            assert typed.json()["replied"] is False
            mine = await events.message()
            assert (mine["author"], mine["text"]) == ("prospect", "Hello from server A")
            await until_async(
                lambda: relays(fake_slack, card_ts) == [relay_text("Hello from server A")],
                "the prospect's message in the thread",
            )

            reply = reply_event(SDR[0], "Hi Pat, Sam here (via B).", thread_ts=card_ts)
            await send_signed_async(b, new_event_body(reply), JSON)
            said = await events.message(timeout=20)
            assert (said["author"], said["agent"], said["text"]) == (
                "sdr",
                SDR[1],
                "Hi Pat, Sam here (via B).",
            )
            assert said["seq"] > mine["seq"] > joined["seq"]
            await events.no_message_within(1.0)
    assert ephemerals(fake_slack) == []
    assert len(live_cards(fake_slack)) == 1
    conversation_id = opened["prompt"]["conversation_id"]
    said_after = messages_of(database_url, conversation_id)[-3:]
    assert said_after == [
        ("system", JOINED),
        ("prospect", "Hello from server A"),
        ("sdr", "Hi Pat, Sam here (via B)."),
    ]


# --- 3. nobody answers ---------------------------------------------------------------------------


@pytest.mark.parametrize("server_settings", [{"BATON_LIVE_CHAT_ANSWER_SECONDS": "10"}])
def test_nobody_takes_the_chat_and_the_prospect_books_a_meeting(stack: Stack, page: Page) -> None:
    slack = stack.slack
    frame = ask_for_a_person(page, stack.site_origin, "Nora Nobody", "nora@e2e-missed.io")
    asked_at = time.monotonic()
    card, chat_id = the_card(slack)

    note = frame.locator(".note.system").last
    expect(note).to_contain_text("nobody could join", timeout=40_000)
    waited = time.monotonic() - asked_at
    assert waited >= 9, f"missed after {waited:.1f}s, before the 10 s to answer had passed"
    assert stack.chat(chat_id).status == rows.MISSED
    expect(frame.locator("#live-status")).to_be_hidden()
    offers = frame.get_by_role("group", name="Other ways to reach us")
    expect(offers.get_by_role("button", name="Email me")).to_be_visible()
    meeting = offers.get_by_role("button", name="Book a meeting")
    expect(meeting).to_be_visible()

    updates = until(
        lambda: [c for c in slack.of("chat.update") if c.params.get("ts") == ts_of(card)],
        "the card updated as missed",
    )
    assert "Nobody took this chat within 10 s" in blocks_of(updates[-1])
    assert TAKE not in buttons(updates[-1])

    meeting.click()
    expect(offers).to_be_hidden()
    until(lambda: stack.follow_ups(chat_id), "the follow-up recorded")
    assert stack.follow_ups(chat_id) == [("meeting", "missed")]
    told = until(
        lambda: [
            c
            for c in in_thread(slack, ts_of(card))
            if "asked to set up a meeting" in str(c.params.get("text"))
        ],
        "the follow-up in the chat's thread",
    )
    assert "nobody took the live chat in time" in told[0].params["text"]
    assert "nora@e2e-missed.io" in told[0].params["text"]


# --- 4. taken twice at once ----------------------------------------------------------------------


async def test_two_sdrs_take_at_once_one_owns_the_chat(stack: Stack) -> None:
    slack = stack.slack
    async with httpx.AsyncClient(base_url=stack.server.url, timeout=10.0) as client:
        opened = await open_session(client, WIDGET)
        token = opened["token"]
        named = await answer(
            client, WIDGET, token, "Rita Race", version=opened["prompt"]["version"]
        )
        assert named.status_code == 200, named.text
        asked = await answer(client, WIDGET, token, "talk to a human")
        assert asked.status_code == 200, asked.text
        card = (await until_async(lambda: live_cards(slack), "the live card"))[0]
        chat_id = int(buttons(card)[TAKE]["value"])

        await asyncio.gather(
            *(
                send_signed_async(client, click_body(who, TAKE, chat_id, ts=ts_of(card)), FORM)
                for who, _ in (SDR, SECOND_SDR)
            )
        )
        (refused,) = await until_async(lambda: ephemerals(slack), "the refusal")

        def owned() -> LiveChat | None:
            chat = stack.chat(chat_id)
            return chat if chat.status == rows.LIVE else None

        chat = await until_async(owned, "an owner")
        names = dict((SDR, SECOND_SDR))
        loser = str(refused.params["user"])
        winner = next(who for who in names if who != loser)
        assert refused.params["text"].startswith(f"{names[winner]} has already taken this chat")
        assert refused.params["channel"] == "CSDR"

        async with stream(client, token, asked.json()["reply_seq"]) as events:
            joined = await events.message()
            assert (joined["event"], joined["text"]) == (
                "joined",
                f"{names[winner]} from our team has joined the chat.",
            )
            assert (await events.state())["live"]["agent"] == names[winner]
            await events.no_message_within(1.0)

        update = await until_async(
            lambda: [c for c in slack.of("chat.update") if c.params.get("ts") == ts_of(card)],
            "the card updated",
        )
        assert f"*Taken* by <@{winner}>" in blocks_of(update[-1])
        assert len(ephemerals(slack)) == 1
        assert chat.owner_user_id is not None
