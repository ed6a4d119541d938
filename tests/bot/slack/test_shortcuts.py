"""The message shortcut "Log as call notes for a lead"."""

from __future__ import annotations

from sqlmodel import col, select

from storage.models import Conversation, Message
from tests.bot.slack.conftest import SlackBaton
from tests.bot.slack.signing import (
    FORM,
    TEAM,
    interaction_body,
    send,
    text_value,
    view_submission,
)
from tests.factories import make_lead, make_user


def message_action(user_id: str, text: str) -> dict[str, object]:
    """A message shortcut payload in Slack's documented format."""
    return {
        "type": "message_action",
        "callback_id": "log_call_notes",
        "team": TEAM,
        "user": {"id": user_id, "name": "sam"},
        "channel": {"id": "CSDR", "name": "sdr"},
        "trigger_id": f"trigger-{user_id}",
        "action_ts": "1700000002.000001",
        "message_ts": "1700000000.000100",
        "message": {"type": "message", "user": "UOTHER", "ts": "1700000000.000100", "text": text},
        "response_url": "https://hooks.slack.test/actions/2",
        "token": "legacy",
    }


async def test_shortcut_opens_a_form_with_the_message_text(baton: SlackBaton) -> None:
    with baton.runtime.session() as session:
        make_user(session, slack_user_id="USDR1")
    text = "Spoke with Dana: budget approved for Q1 <!channel>"
    response = await send(baton.client, interaction_body(message_action("USDR1", text)), FORM)
    assert response.status_code == 200
    (opened,) = await baton.slack.wait_for("views.open")
    assert opened.params["trigger_id"] == "trigger-USDR1"
    view = opened.params["view"]
    assert view["callback_id"] == "call_notes_submit"
    notes = next(b for b in view["blocks"] if b["block_id"] == "notes")
    assert notes["element"]["initial_value"] == text


async def test_submitted_notes_are_attached_to_the_lead(baton: SlackBaton) -> None:
    with baton.runtime.session() as session:
        make_user(session, slack_user_id="USDR1")
        lead = make_lead(session, email="dana@acme.io", name="Dana Scully")
    values = {"lead": text_value("dana@acme.io"), "notes": text_value("Budget approved for Q1")}
    payload = view_submission("USDR1", "call_notes_submit", values, {})
    response = await send(baton.client, interaction_body(payload), FORM)
    assert response.status_code == 200 and response.text == ""
    (dm,) = await baton.slack.wait_for("chat.postMessage")
    assert dm.params["channel"] == "USDR1"
    assert "Dana Scully" in dm.params["text"]
    with baton.runtime.session() as session:
        conversation = session.exec(
            select(Conversation).where(Conversation.lead_id == lead.id)
        ).one()
        assert conversation.channel == "slack"
        texts = session.exec(
            select(Message.text)
            .where(Message.conversation_id == conversation.id)
            .order_by(col(Message.seq))
        ).all()
        assert "Budget approved for Q1" in texts


async def test_notes_for_an_unknown_lead_are_refused_inline(baton: SlackBaton) -> None:
    with baton.runtime.session() as session:
        make_user(session, slack_user_id="USDR1")
    values = {"lead": text_value("nobody@nowhere.io"), "notes": text_value("hello")}
    payload = view_submission("USDR1", "call_notes_submit", values, {})
    response = await send(baton.client, interaction_body(payload), FORM)
    body = response.json()
    assert body["response_action"] == "errors"
    assert "nobody@nowhere.io" in body["errors"]["lead"]
    with baton.runtime.session() as session:
        assert session.exec(select(Message)).all() == []
