"""Live chat through the widget's API: a prospect asks for a person, an SDR answers.

The SDR's side runs through the real services (dialogs.live) on the same database, as the Slack
listeners do; the widget's side through its HTTP endpoints.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from bot.app import create_app
from bot.runtime import Runtime
from bot.settings import Settings
from bot.widget.guard import Limit, WidgetLimits
from dialogs import live
from qualification.stages import Role
from storage import live_chats as rows
from storage.models import FollowUp, Lead, LiveChat, Message, OutboxItem, User, Visitor
from storage.visitors import hash_token
from storage.widgets import create_widget
from tests.bot.widget.conftest import BASE, SITE
from tests.bot.widget.helpers import answer, open_session
from tests.bot.widget.test_turn import QUALIFYING
from tests.factories import make_user

WIDGET = "site"
_OTHER_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[
    (datetime.now(UTC).weekday() + 3) % 7
]
CLOSED_HOURS = ["never", f"{_OTHER_DAY} 09:00-17:00"]


def live_settings(database_url: str, *, hours: str = "24/7", **extra: Any) -> Settings:
    """Slack on (nothing is posted: no outbox worker, an address nobody listens on), an SDR
    channel and live chat hours: what live chat needs."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "slack_bot_token": "xoxb-live-chat-test",
        "slack_signing_secret": "live-chat-test-signing-secret",
        "slack_sdr_channel": "C0LIVECHAT",
        "slack_api_url": "http://127.0.0.1:9/api/",
        "live_chat_hours": hours,
        "outbox_worker": False,
        "live_poll_seconds": 0.05,
        **extra,
    }
    return Settings(**values)


def add_site_widget(rt: Runtime) -> None:
    with rt.session() as session:
        create_widget(
            session=session,
            flows=rt.flows,
            public_id=WIDGET,
            settings={"allowed_origins": [SITE], "name": "Acme"},
        )
        session.commit()


@pytest.fixture
def hours() -> str:
    return "24/7"


@pytest.fixture
def live_limits() -> WidgetLimits:
    return WidgetLimits()


@pytest.fixture
def live_app(database_url: str, hours: str, live_limits: WidgetLimits) -> Iterator[FastAPI]:
    app = create_app(live_settings(database_url, hours=hours), widget_limits=live_limits)
    add_site_widget(app.state.runtime)
    yield app
    app.state.runtime.engine.dispose()


@pytest.fixture
async def web(live_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=live_app, client=("203.0.113.9", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        yield http


# --- helpers ---------------------------------------------------------------------------------


def sdr(rt: Runtime, name: str = "Alex Doe") -> User:
    with rt.session() as session:
        return make_user(session, role=Role.SDR, name=name)


def open_chat_of(rt: Runtime, conversation_id: int) -> LiveChat:
    with rt.session() as session:
        chat = rows.open_live_chat_of(session=session, conversation_id=conversation_id)
        session.commit()  # ends the read, keeps `chat` loaded
    assert chat is not None
    return chat


def take(rt: Runtime, chat: LiveChat, user: User) -> None:
    assert chat.id is not None
    with rt.session() as session:
        live.take_chat(session=session, live_chat_id=chat.id, user=user, now=datetime.now(UTC))


def sdr_says(rt: Runtime, chat: LiveChat, user: User, text: str, key: str) -> Message:
    assert chat.id is not None
    with rt.session() as session:
        return live.post_sdr_message(
            session=session,
            live_chat_id=chat.id,
            user=user,
            text=text,
            message_key=key,
            now=datetime.now(UTC),
        )


def transcript(rt: Runtime, conversation_id: int) -> list[Message]:
    with rt.session() as session:
        found = list(
            session.exec(
                select(Message)
                .where(Message.conversation_id == conversation_id)
                .order_by(col(Message.seq))
            ).all()
        )
        session.commit()
    return found


async def ask_for_a_person(
    client: httpx.AsyncClient, *, name: str = "Tess Talker"
) -> tuple[str, int, dict[str, Any]]:
    """A visitor who gave a name and typed "talk to a human": (token, conversation, reply)."""
    opened = await open_session(client, WIDGET)
    token = opened["token"]
    named = await answer(client, WIDGET, token, name, version=opened["prompt"]["version"])
    assert named.status_code == 200, named.text
    asked = await answer(client, WIDGET, token, "talk to a human", turn_id="ask-human")
    assert asked.status_code == 200, asked.text
    return token, opened["prompt"]["conversation_id"], asked.json()


async def new_messages(
    client: httpx.AsyncClient, token: str, after: int, *, widget: str = WIDGET
) -> dict[str, Any]:
    response = await client.post(
        f"/widget/{widget}/messages", json={"token": token, "after": after}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# --- asking for a person ---------------------------------------------------------------------


async def test_talk_to_a_human_in_hours_opens_a_waiting_live_chat(
    web: httpx.AsyncClient, live_app: FastAPI
) -> None:
    rt = live_app.state.runtime
    token, conversation_id, reply = await ask_for_a_person(web)
    assert reply["replied"] is True
    assert reply["live"] == {"id": reply["live"]["id"], "status": "waiting", "agent": None}
    assert reply["prompt"]["done"] is True
    assert "a person will pick up this conversation" in reply["prompt"]["text"]
    assert any("usually picks up within 2 minutes" in n for n in reply["prompt"]["notices"])
    assert reply["reply_seq"] == reply["seq"] + 1
    chat = open_chat_of(rt, conversation_id)
    assert chat.status == "waiting" and chat.id == reply["live"]["id"]

    resumed = await open_session(web, WIDGET, token=token)
    assert resumed["live"]["status"] == "waiting"
    assert resumed["offer"] is None
    history = resumed["history"]
    assert [item["seq"] for item in history] == list(range(1, len(history) + 1))
    assert [item["author"] for item in history] == ["bot", "prospect", "bot", "prospect", "bot"]
    assert history[-2]["text"] == "talk to a human"
    assert history[-1]["seq"] == reply["reply_seq"]


@pytest.mark.parametrize("hours", CLOSED_HOURS)
async def test_outside_hours_no_live_chat_the_offline_note_and_a_follow_up_offer(
    web: httpx.AsyncClient, live_app: FastAPI
) -> None:
    rt = live_app.state.runtime
    token, conversation_id, reply = await ask_for_a_person(web)
    prompt = reply["prompt"]
    assert reply["live"] is None and reply["replied"] is True
    assert prompt["offer"] == "followup"
    assert prompt["done"] is False and prompt["step_id"] == "email"  # still its question
    assert "Nobody from our team is online right now" in prompt["text"]
    assert "follow up by email or set up a meeting" in prompt["text"]
    assert "work email" in prompt["text"]
    with rt.session() as session:
        assert session.exec(select(LiveChat)).all() == []

    resumed = await open_session(web, WIDGET, token=token)
    assert resumed["offer"] == "followup" and resumed["live"] is None
    # Asking for a person another way is refused the same way, with the follow-up offer.
    refused = await web.post(f"/widget/{WIDGET}/live", json={"token": token})
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"] == "LiveChatClosed" and body["offer"] == "followup"
    assert "Nobody from our team is online right now" in body["detail"]
    assert body["state"]["prompt"]["step_id"] == "email"
    # The bot carries on with its question.
    answered = await answer(web, WIDGET, token, "tess@talker.io")
    assert answered.json()["prompt"]["step_id"] == "company"
    assert (await open_session(web, WIDGET, token=token))["offer"] is None
    assert transcript(rt, conversation_id)[-1].author == "bot"


async def test_messages_in_a_live_chat_are_stored_once_and_the_bot_stays_silent(
    web: httpx.AsyncClient, live_app: FastAPI
) -> None:
    rt = live_app.state.runtime
    token, conversation_id, asked = await ask_for_a_person(web)
    before = transcript(rt, conversation_id)

    first = await answer(web, WIDGET, token, "Are you there?", turn_id="live-1")
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["replied"] is False
    assert body["seq"] == asked["reply_seq"] + 1 and body["reply_seq"] is None
    assert body["live"]["status"] == "waiting"
    assert body["prompt"]["text"] == asked["prompt"]["text"]  # no new bot reply
    again = await answer(web, WIDGET, token, "Are you there?", turn_id="live-1")
    assert again.json()["seq"] == body["seq"] and again.json()["replied"] is False
    second = await answer(web, WIDGET, token, "I have a <b>question</b>", turn_id="live-2")
    assert second.json()["seq"] == body["seq"] + 1
    # The turn that asked for a person, sent again, still gets the bot's answer, once.
    repeated = await answer(web, WIDGET, token, "talk to a human", turn_id="ask-human")
    assert repeated.json()["replied"] is True
    assert repeated.json()["reply_seq"] == asked["reply_seq"]

    after = transcript(rt, conversation_id)
    added = after[len(before) :]
    assert [(m.author, m.text) for m in added] == [
        ("prospect", "Are you there?"),
        ("prospect", "I have a <b>question</b>"),
    ]
    with rt.session() as session:
        relays = session.exec(select(OutboxItem).where(OutboxItem.topic == rows.RELAY)).all()
        assert sorted(r.payload["seq"] for r in relays) == [m.seq for m in added]


async def test_sdr_messages_arrive_through_the_messages_endpoint_with_the_name(
    web: httpx.AsyncClient, live_app: FastAPI
) -> None:
    rt = live_app.state.runtime
    token, conversation_id, asked = await ask_for_a_person(web)
    cursor = asked["reply_seq"]
    nothing = await new_messages(web, token, cursor)
    assert nothing["messages"] == [] and nothing["live"]["status"] == "waiting"
    assert nothing["more"] is False

    alex = sdr(rt)
    chat = open_chat_of(rt, conversation_id)
    take(rt, chat, alex)
    said = sdr_says(rt, chat, alex, "Hi Tess, I'm Alex. <img src=x onerror=alert(1)>", "171.001")
    news = await new_messages(web, token, cursor)
    joined, message = news["messages"]
    assert joined["author"] == "system" and joined["event"] == "joined"
    assert joined["text"] == "Alex Doe from our team has joined the chat."
    assert message == {
        "seq": said.seq,
        "direction": "out",
        "author": "sdr",
        "agent": "Alex Doe",
        "text": "Hi Tess, I'm Alex. <img src=x onerror=alert(1)>",
        "expects": None,
        "notices": [],
        "event": "message",
        "offer": None,
    }
    assert [joined["seq"], message["seq"]] == [cursor + 1, cursor + 2]
    assert news["live"] == {"id": chat.id, "status": "live", "agent": "Alex Doe"}
    # A reconnecting client gets exactly what it missed, in order.
    reply = await answer(web, WIDGET, token, "Hi Alex!", turn_id="hi-alex")
    missed = await new_messages(web, token, joined["seq"])
    assert [(m["seq"], m["author"]) for m in missed["messages"]] == [
        (said.seq, "sdr"),
        (reply.json()["seq"], "prospect"),
    ]
    assert (await new_messages(web, token, reply.json()["seq"]))["messages"] == []
    # Only the visitor's own widget and token read it.
    stranger = await web.post(
        f"/widget/{WIDGET}/messages", json={"token": "made-up-token", "after": 0}
    )
    assert stranger.status_code == 403 and "Alex" not in stranger.text
    foreign = await web.post(
        f"/widget/{WIDGET}/messages",
        json={"token": token, "after": 0},
        headers={"origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    negative = await web.post(f"/widget/{WIDGET}/messages", json={"token": token, "after": -1})
    assert negative.status_code == 422


async def test_hand_back_the_bot_asks_its_question_again_and_answers_go_to_the_bot(
    web: httpx.AsyncClient, live_app: FastAPI
) -> None:
    rt = live_app.state.runtime
    token, conversation_id, asked = await ask_for_a_person(web)
    alex = sdr(rt)
    chat = open_chat_of(rt, conversation_id)
    take(rt, chat, alex)
    sdr_says(rt, chat, alex, "Let me hand you back to finish the questions.", "172.1")
    assert chat.id is not None
    with rt.session() as session:
        live.hand_back(
            session=session,
            engine=rt.dialogs,
            live_chat_id=chat.id,
            user=alex,
            now=datetime.now(UTC),
        )
    news = await new_messages(web, token, asked["reply_seq"])
    handed, question = news["messages"][-2:]
    assert handed["author"] == "system" and handed["event"] == "handed_back"
    assert question["author"] == "bot" and "work email" in question["text"]
    assert question["expects"] == "email"
    assert news["live"]["status"] == "ended"
    assert news["prompt"]["step_id"] == "email" and news["prompt"]["done"] is False

    reply = await answer(web, WIDGET, token, "tess@talker.io", version=news["prompt"]["version"])
    body = reply.json()
    assert body["replied"] is True and body["prompt"]["step_id"] == "company"
    assert body["live"]["status"] == "ended"


async def test_an_ended_chat_is_over_and_a_new_message_does_not_reach_anyone(
    web: httpx.AsyncClient, live_app: FastAPI
) -> None:
    rt = live_app.state.runtime
    token, conversation_id, asked = await ask_for_a_person(web)
    alex = sdr(rt)
    chat = open_chat_of(rt, conversation_id)
    take(rt, chat, alex)
    assert chat.id is not None
    with rt.session() as session:
        live.end_chat(
            session=session,
            engine=rt.dialogs,
            live_chat_id=chat.id,
            user=alex,
            now=datetime.now(UTC),
        )
    news = await new_messages(web, token, asked["reply_seq"])
    assert news["messages"][-1]["event"] == "ended"
    assert news["live"]["status"] == "ended" and news["prompt"]["done"] is True
    count = len(transcript(rt, conversation_id))
    late = await answer(web, WIDGET, token, "one more thing", turn_id="late")
    assert late.json()["replied"] is True and late.json()["seq"] is None
    assert len(transcript(rt, conversation_id)) == count


async def test_a_missed_chat_says_so_and_offers_a_follow_up(
    web: httpx.AsyncClient, live_app: FastAPI
) -> None:
    rt = live_app.state.runtime
    token, conversation_id, asked = await ask_for_a_person(web)
    chat = open_chat_of(rt, conversation_id)
    with rt.session() as session:
        expired = live.expire_unanswered(
            session=session, engine=rt.dialogs, now=chat.answer_by + timedelta(seconds=1)
        )
    assert expired == [chat.id]
    news = await new_messages(web, token, asked["reply_seq"])
    missed, question = news["messages"]
    assert missed["author"] == "system" and missed["event"] == "missed"
    assert missed["offer"] == "followup"
    assert "nobody could join" in missed["text"]
    assert question["author"] == "bot" and "work email" in question["text"]
    assert news["live"]["status"] == "missed"
    resumed = await open_session(web, WIDGET, token=token)
    assert resumed["offer"] == "followup" and resumed["live"]["status"] == "missed"

    wanted = await web.post(
        f"/widget/{WIDGET}/followup",
        json={"token": token, "kind": "meeting", "email": "tess@talker.io"},
    )
    assert wanted.status_code == 200, wanted.text
    with rt.session() as session:
        follow_up = session.exec(select(FollowUp)).one()
        assert (follow_up.kind, follow_up.cause) == ("meeting", "missed")
        assert follow_up.live_chat_id == chat.id
    thanks = (await new_messages(web, token, question["seq"]))["messages"]
    assert [m["event"] for m in thanks] == ["followup"]
    assert (await open_session(web, WIDGET, token=token))["offer"] is None


@pytest.mark.parametrize("hours", ["never"])
async def test_a_follow_up_needs_an_email_when_the_lead_has_none(
    web: httpx.AsyncClient, live_app: FastAPI
) -> None:
    rt = live_app.state.runtime
    opened = await open_session(web, WIDGET)
    token = opened["token"]
    asked = await answer(web, WIDGET, token, "talk to a human")  # at the name: no email yet
    assert asked.json()["prompt"]["offer"] == "followup"

    url = f"/widget/{WIDGET}/followup"
    missing = await web.post(url, json={"token": token, "kind": "email"})
    assert missing.status_code == 422
    assert missing.json()["needs_email"] is True
    assert "give an email address" in missing.json()["detail"]
    wrong = await web.post(url, json={"token": token, "kind": "email", "email": "not-an-email"})
    assert wrong.status_code == 422 and "does not look right" in wrong.json()["detail"]
    unknown = await web.post(url, json={"token": token, "kind": "phone", "email": "a@b.io"})
    assert unknown.status_code == 422
    with rt.session() as session:
        assert session.exec(select(FollowUp)).all() == []

    done = await web.post(url, json={"token": token, "kind": "email", "email": "Pat@Example.COM"})
    assert done.status_code == 200, done.text
    assert done.json()["live"] is None
    with rt.session() as session:
        visitor = session.exec(select(Visitor).where(Visitor.token_hash == hash_token(token))).one()
        lead = session.get(Lead, visitor.lead_id)
        assert lead is not None and lead.email == "pat@example.com"
        follow_up = session.exec(select(FollowUp)).one()
        assert (follow_up.kind, follow_up.cause, follow_up.lead_id) == ("email", "offline", lead.id)
        topics = session.exec(select(OutboxItem.topic)).all()
        assert rows.FOLLOWUP in topics
    news = await new_messages(web, token, asked.json()["reply_seq"])
    assert news["messages"][-1]["text"] == "Thanks! Someone from our team will email you shortly."


async def test_the_offer_to_talk_to_someone_now_after_a_qualifying_chat(
    web: httpx.AsyncClient, live_app: FastAPI
) -> None:
    rt = live_app.state.runtime
    opened = await open_session(web, WIDGET)
    token, prompt = opened["token"], opened["prompt"]
    active = await web.post(f"/widget/{WIDGET}/live", json={"token": token})
    assert active.status_code == 422  # during the questions: type "talk to a human"
    for text in QUALIFYING:
        prompt = (await answer(web, WIDGET, token, text, version=prompt["version"])).json()[
            "prompt"
        ]
    assert prompt["done"] is True and prompt["outcome"] == "handoff"
    assert prompt["offer"] == "live"
    assert (await open_session(web, WIDGET, token=token))["offer"] == "live"

    taken = await web.post(f"/widget/{WIDGET}/live", json={"token": token})
    assert taken.status_code == 200, taken.text
    state = taken.json()
    assert state["live"]["status"] == "waiting"
    twice = await web.post(f"/widget/{WIDGET}/live", json={"token": token})
    assert twice.json()["live"]["id"] == state["live"]["id"]
    with rt.session() as session:
        assert len(session.exec(select(LiveChat)).all()) == 1
    resumed = await open_session(web, WIDGET, token=token)
    assert resumed["offer"] is None
    assert resumed["history"][-1]["event"] == "waiting"
    assert "connecting you with someone" in resumed["history"][-1]["text"]
    # Typed messages now go to the person, not the finished bot.
    typed = await answer(web, WIDGET, token, "Thanks, I'll wait")
    assert typed.json()["replied"] is False and typed.json()["live"]["status"] == "waiting"


async def test_without_a_running_hub_the_stream_says_to_poll(
    web: httpx.AsyncClient,
) -> None:
    # The ASGI transport runs no lifespan, so no hub polls here: the client must poll.
    opened = await open_session(web, WIDGET)
    response = await web.post(
        f"/widget/{WIDGET}/stream", json={"token": opened["token"], "after": 0}
    )
    assert response.status_code == 503
    assert response.json()["error"] == "StreamUnavailable"
    assert response.headers["retry-after"] == "5"
    unknown = await web.post(f"/widget/{WIDGET}/stream", json={"token": "nope", "after": 0})
    assert unknown.status_code == 403


@pytest.mark.parametrize("live_limits", [WidgetLimits(live_per_token=Limit(3))])
async def test_live_reads_and_actions_are_rate_limited_per_visitor(
    web: httpx.AsyncClient,
) -> None:
    opened = await open_session(web, WIDGET)
    token = opened["token"]
    url = f"/widget/{WIDGET}"
    statuses = [
        (await web.post(f"{url}/messages", json={"token": token, "after": 0})).status_code,
        (await web.post(f"{url}/stream", json={"token": token, "after": 0})).status_code,
        (await web.post(f"{url}/followup", json={"token": token, "kind": "email"})).status_code,
    ]
    assert statuses == [200, 503, 422]
    limited = await web.post(f"{url}/live", json={"token": token})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    other = await open_session(web, WIDGET)  # another visitor is not held up
    fine = await web.post(f"{url}/messages", json={"token": other["token"], "after": 0})
    assert fine.status_code == 200
