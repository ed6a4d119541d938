"""Returning the lead to nurture from a live chat's controls ends the chat: the prospect is told,
the conversation is finished, and the Slack card and thread say who ended it."""

from __future__ import annotations

from bot.slack.live_blocks import RETURN_TO_NURTURE
from qualification.stages import Stage
from storage import live_chats as rows
from storage.leads import get_lead
from tests.bot.slack.conftest import SlackBaton
from tests.bot.slack.live_chats import baton as baton  # the fixture
from tests.bot.slack.live_chats import (
    blocks_of,
    card_ts,
    conversation_of,
    in_thread,
    press,
    stored_chat,
    taken,
    transcript,
    until,
)
from tests.bot.slack.signing import FORM, interaction_body, send, text_value, view_submission


async def test_returning_the_lead_to_nurture_from_the_thread_ends_the_chat(
    baton: SlackBaton,
) -> None:
    chat, card, controls = await taken(baton)
    await press(
        baton,
        "USDR",
        RETURN_TO_NURTURE,
        chat.live_chat_id,
        ts=card_ts(controls),
        thread_ts=card_ts(card),
    )
    await baton.slack.wait_for("views.open")
    submitted = view_submission(
        "USDR",
        "nurture_submit",
        {"reason": text_value("no budget until next year")},
        {"lead_id": chat.lead_id},
    )
    response = await send(baton.client, interaction_body(submitted), FORM)
    assert response.status_code == 200

    await until(lambda: stored_chat(baton, chat).status == rows.ENDED)
    with baton.runtime.session() as session:
        assert get_lead(session=session, lead_id=chat.lead_id).stage is Stage.NURTURE
    assert conversation_of(baton, chat).status == "completed"
    notice = transcript(baton, chat)[-1]
    assert notice.author == "system" and notice.text.endswith(
        "has ended the chat. Thank you for talking with us!"
    )
    await baton.deliver()
    card_update = [c for c in baton.slack.of("chat.update") if c.params["ts"] == card_ts(card)][-1]
    assert "*Ended* by <@USDR>" in blocks_of(card_update)
    assert in_thread(baton, card)[-1].params["text"].startswith(":wave: <@USDR> ended the chat.")
