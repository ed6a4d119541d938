"""First use: strangers linked by email, or let in by a manager after a Request access click."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import select

from qualification.stages import Role
from storage.models import Conversation, OutboxItem, User
from storage.users import get_user_by_email, get_user_by_slack_id
from tests.bot.slack.conftest import APPROVAL_CHANNEL, SlackBaton, listeners_done
from tests.bot.slack.signing import (
    FORM,
    JSON,
    block_action,
    command_body,
    event_body,
    interaction_body,
    send,
)
from tests.bot.test_cli import baton as run_baton
from tests.factories import make_lead, make_user

CARD_TS = "1700000000.000777"


def _home_opened(user: str, event_id: str) -> str:
    return event_body(event_id, {"type": "app_home_opened", "user": user, "tab": "home"})


def _home_click(user: str, action_id: str, value: str) -> str:
    payload = block_action(user, action_id, value)
    del payload["channel"], payload["message"]
    payload["container"] = {"type": "view", "view_id": "VHOME"}
    return interaction_body(payload)


def _buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        (element["action_id"], element["value"])
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]


async def test_a_user_added_by_email_is_linked_on_first_use(
    baton: SlackBaton, database_url: str
) -> None:
    run_baton(
        "user", "add", "ann@acme.com", "--role", "sdr", "--name", "Ann", database_url=database_url
    )
    with baton.runtime.session() as session:
        make_lead(session, email="dana@prospect.io", name="Dana Scully")
    baton.slack.add_user("UANN", email="Ann@Acme.com", name="Ann Example")

    await send(baton.client, command_body("UANN", "dana@prospect.io"), FORM)
    (opened,) = await baton.slack.wait_for("views.open")
    assert opened.params["view"]["callback_id"] == "qualify"
    assert baton.slack.of("chat.postEphemeral") == []
    (asked,) = baton.slack.of("users.info")
    assert asked.params["user"] == "UANN"
    with baton.runtime.session() as session:
        ann = get_user_by_email(session=session, email="ann@acme.com")
        assert ann is not None and ann.slack_user_id == "UANN" and ann.role is Role.SDR

    # Known now: her Home is her own, and Slack is not asked again.
    await send(baton.client, _home_opened("UANN", "EvA1"), JSON)
    (home,) = await baton.slack.wait_for("views.publish")
    assert home.params["view"]["blocks"][0]["text"]["text"] == "Your leads"
    assert len(baton.slack.of("users.info")) == 1


async def test_a_first_dm_from_a_user_added_by_email_links_them_and_starts_the_chat(
    baton: SlackBaton, database_url: str
) -> None:
    """A message is an answer: the stranger is linked and the message applied before the 200
    (nothing acknowledged is lost), and Slack's retry applies nothing twice."""
    run_baton("user", "add", "ann@acme.com", "--role", "sdr", database_url=database_url)
    with baton.runtime.session() as session:
        make_lead(session, email="dana@prospect.io", name="Dana Scully")
    baton.slack.add_user("UANN", email="ann@acme.com", name="Ann Example")
    ts = "1700000500.000001"
    event = {
        "type": "message",
        "channel": "DANN",
        "channel_type": "im",
        "user": "UANN",
        "text": "qualify dana@prospect.io",
        "ts": ts,
        "client_msg_id": "first-dm",
    }
    body = event_body("EvFirstDm", event)
    assert (await send(baton.client, body, JSON)).status_code == 200
    assert len(baton.slack.of("users.info")) == 1  # asked before the 200
    with baton.runtime.session() as session:  # and the chat was stored before it
        (started,) = session.exec(select(Conversation)).all()
        assert started.started_by_user_id is not None
    (question,) = await baton.slack.wait_for("chat.postMessage")
    assert question.params["channel"] == "DANN" and question.params["thread_ts"] == ts
    assert "Dana Scully" in str(question.params["blocks"])
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert (await send(baton.client, body, JSON, headers=retry)).status_code == 200
    await listeners_done()
    assert len(baton.slack.of("chat.postMessage")) == 1  # the retry changed nothing
    assert len(baton.slack.of("users.info")) == 1
    with baton.runtime.session() as session:
        ann = get_user_by_email(session=session, email="ann@acme.com")
        assert ann is not None and ann.slack_user_id == "UANN"
        (conversation,) = session.exec(select(Conversation)).all()
        assert conversation.channel == "slack"


async def test_a_stranger_is_refused_with_a_request_access_button(baton: SlackBaton) -> None:
    with baton.runtime.session() as session:
        make_user(session, email="ann@acme.com")  # someone else's email: nothing to link
    baton.slack.add_user("USTRANGER", email="stranger@elsewhere.io", name="Stan")

    await send(baton.client, command_body("USTRANGER", "x@y.io"), FORM)
    (refusal,) = await baton.slack.wait_for("chat.postEphemeral")
    assert refusal.params["user"] == "USTRANGER" and refusal.params["channel"] == "CSDR"
    assert "--slack-id USTRANGER" in refusal.params["text"]
    assert _buttons(refusal.params["blocks"]) == [("access_request", "request")]
    assert baton.slack.of("views.open") == []

    await send(baton.client, _home_opened("USTRANGER", "EvA2"), JSON)
    (home,) = await baton.slack.wait_for("views.publish")
    assert _buttons(home.params["view"]["blocks"]) == [("access_request", "request")]
    with baton.runtime.session() as session:
        assert get_user_by_slack_id(session=session, slack_user_id="USTRANGER") is None


async def test_nobody_to_link_means_no_slack_call_before_the_answer(baton: SlackBaton) -> None:
    with baton.runtime.session() as session:
        make_user(session, email="ann@acme.com", slack_user_id="UANN")  # everyone is linked
    baton.slack.add_user("USTRANGER", email="stranger@elsewhere.io", name="Stan")

    await send(baton.client, command_body("USTRANGER", "x@y.io"), FORM)
    (refusal,) = await baton.slack.wait_for("chat.postEphemeral")
    assert refusal.params["user"] == "USTRANGER"
    assert baton.slack.of("users.info") == []


async def _request_access(baton: SlackBaton) -> tuple[str, str]:
    """UNEW clicks Request access on their Home tab; returns where the card is."""
    baton.slack.add_user("UNEW", email="New.Person@acme.com", name="New <Person>")
    await send(baton.client, _home_click("UNEW", "access_request", "request"), FORM)
    (home,) = await baton.slack.wait_for("views.publish")
    assert "Your request was sent to the managers" in str(home.params["view"])
    assert _buttons(home.params["view"]["blocks"]) == []
    await baton.deliver()
    (card,) = baton.slack.of("chat.postMessage")
    return str(card.params["channel"]), CARD_TS  # a click carries the card's ts


async def test_request_access_then_a_manager_adds_the_person(baton: SlackBaton) -> None:
    with baton.runtime.session() as session:
        make_user(session, slack_user_id="UBOSS", role=Role.MANAGER, name="Mia Manager")
        make_user(session, slack_user_id="UBOSS2", role=Role.MANAGER, name="Max Manager")
    channel, ts = await _request_access(baton)
    (card,) = baton.slack.of("chat.postMessage")
    assert channel == APPROVAL_CHANNEL
    text = card.params["blocks"][0]["text"]["text"]
    assert text == "<@UNEW> (New &lt;Person&gt;, new.person@acme.com) asks to use Baton"
    assert _buttons(card.params["blocks"]) == [
        ("access_add_sdr", "UNEW"),
        ("access_add_manager", "UNEW"),
    ]

    # Asking again the same day posts nothing new.
    await send(baton.client, _home_click("UNEW", "access_request", "request"), FORM)
    await baton.slack.wait_for("views.publish", 2)
    await baton.deliver()
    assert len(baton.slack.of("chat.postMessage")) == 1

    click = block_action("UBOSS", "access_add_sdr", "UNEW", channel=channel, ts=ts)
    await send(baton.client, interaction_body(click), FORM)
    await _until(lambda: _user(baton, "UNEW") is not None)
    await baton.deliver()
    (update,) = baton.slack.of("chat.update")
    assert (update.params["channel"], update.params["ts"]) == (channel, ts)
    assert update.params["blocks"][-1]["text"]["text"] == "*Added as SDR* by <@UBOSS>."
    assert _buttons(update.params["blocks"]) == []
    welcome = [c for c in baton.slack.of("chat.postMessage") if c.params["channel"] == "UNEW"]
    assert len(welcome) == 1 and "added as SDR" in welcome[0].params["text"]
    home = [c for c in baton.slack.of("views.publish") if c.params["user_id"] == "UNEW"][-1]
    assert home.params["view"]["blocks"][0]["text"]["text"] == "Your leads"
    user = _user(baton, "UNEW")
    assert user is not None
    assert (user.email, user.name, user.role, user.active) == (
        "new.person@acme.com",
        "New <Person>",
        Role.SDR,
        True,
    )

    # A second manager's click (another role) changes nothing and says so; no second welcome.
    late = block_action("UBOSS2", "access_add_manager", "UNEW", channel=channel, ts=ts)
    await send(baton.client, interaction_body(late), FORM)
    (note,) = await baton.slack.wait_for("chat.postEphemeral")
    assert note.params["user"] == "UBOSS2"
    assert "already a Baton user (SDR)" in note.params["text"]
    await baton.deliver()
    assert len(baton.slack.of("chat.update")) == 1
    assert (
        len([c for c in baton.slack.of("chat.postMessage") if c.params["channel"] == "UNEW"]) == 1
    )
    with baton.runtime.session() as session:
        (stored,) = session.exec(select(User).where(User.slack_user_id == "UNEW")).all()
        assert stored.role is Role.SDR
        granted = session.exec(select(OutboxItem).where(OutboxItem.topic == "access.granted"))
        assert len(granted.all()) == 1


async def test_only_managers_can_add_people(baton: SlackBaton) -> None:
    with baton.runtime.session() as session:
        make_user(session, slack_user_id="USDR", role=Role.SDR)
    channel, ts = await _request_access(baton)
    click = block_action("USDR", "access_add_manager", "UNEW", channel=channel, ts=ts)
    await send(baton.client, interaction_body(click), FORM)
    (note,) = await baton.slack.wait_for("chat.postEphemeral")
    assert note.params["user"] == "USDR" and note.params["channel"] == channel
    assert "Only managers" in note.params["text"]
    await baton.deliver()
    assert baton.slack.of("chat.update") == []
    assert _user(baton, "UNEW") is None


def _user(baton: SlackBaton, slack_id: str) -> User | None:
    with baton.runtime.session() as session:
        return get_user_by_slack_id(session=session, slack_user_id=slack_id)


async def _until(condition: Any, timeout: float = 10.0) -> None:
    """Wait for a listener that runs after the ack to have committed its change."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")
