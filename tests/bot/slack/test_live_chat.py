"""Live chats on the Slack side: the request card, Take it, the thread both ways, the controls.

A web prospect's conversation runs on the real engine (channel "web") until they ask for a
human during hours (24/7 here); the outbox then posts the card to the fake Slack, and SDRs act
through signed requests as Slack sends them.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.slack.live_blocks import (
    END,
    HAND_BACK,
    RECORD_ANSWERS,
    REQUEST_HANDOFF,
    RETURN_TO_NURTURE,
    TAKE,
    card_blocks,
    relay_text,
)
from bot.slack.live_view import CARD, CLOSING, CONTROLS, live_chat_view
from dialogs import live
from dialogs.live_desk import OFFER_FOLLOWUP
from storage import live_chats as rows
from storage.handoffs import pending_handoff
from storage.leads import get_lead
from storage.models import User
from tests.bot.slack.conftest import (
    APPROVAL_CHANNEL,
    SDR_CHANNEL,
    SlackBaton,
    listeners_done,
)
from tests.bot.slack.live_chats import (
    NEED,
    blocks_of,
    buttons,
    card_ts,
    conversation_of,
    deliver_event,
    in_thread,
    outbox,
    people,
    posted_to,
    posts,
    press,
    prospect_says,
    relayed,
    requested,
    stored_chat,
    taken,
    thread_reply,
    transcript,
    until,
    web_chat,
)
from tests.bot.slack.live_chats import baton as baton  # the fixture

# --- the request card -----------------------------------------------------------------------


async def test_the_card_shows_the_lead_escaped_with_take_it(baton: SlackBaton) -> None:
    chat, card = await requested(baton)
    shown = blocks_of(card)
    for raw in ("<script>", "<!channel>", "<b>", "Acme & <Co>"):
        assert raw not in shown and raw not in card.params["text"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; *\u200bDana\u200b* &lt;!channel&gt;" in shown
    assert "Acme &amp; &lt;Co&gt;" in shown and "dana@acme.example" in shown
    assert "On https://acme.example/pricing?plan=&lt;b&gt;pro&lt;/b&gt;" in shown
    assert "*Need*:" in shown and "Waiting since <!date^" in shown
    with baton.runtime.session() as session:
        lead = get_lead(session=session, lead_id=chat.lead_id)
        assert f"*Score {lead.score}*" in shown and lead.score > 0
    assert "(+" in shown and ") (+" not in shown  # top reasons, each with its points once
    take = buttons(card)[TAKE]
    assert take["value"] == str(chat.live_chat_id) and take["text"]["text"] == "Take it"
    row = stored_chat(baton, chat)
    assert (row.slack_channel, row.slack_ts) == (SDR_CHANNEL, card_ts(card))
    (post,) = posts(baton, CARD, chat.live_chat_id)
    assert post.ts == card_ts(card)
    assert await baton.deliver() == 0
    assert len(posted_to(baton, SDR_CHANNEL)) == 1


async def test_a_card_posted_late_shows_the_chat_as_it_is_then(baton: SlackBaton) -> None:
    people(baton)
    baton.slack.fail_next("chat.postMessage", status=503)
    chat = web_chat(baton)
    await baton.deliver()
    assert posted_to(baton, SDR_CHANNEL) == []
    with baton.runtime.session() as session:
        sdr = session.exec(select(User).where(User.slack_user_id == "USDR")).one()
        live.take_chat(
            session=session, live_chat_id=chat.live_chat_id, user=sdr, now=datetime.now(UTC)
        )
    await baton.deliver()
    assert outbox(baton, rows.TAKEN)[0].status == "pending"  # waits for the card
    assert outbox(baton, rows.TAKEN)[0].attempts == 0

    await baton.deliver(now=datetime.now(UTC) + timedelta(minutes=5))
    (card,) = posted_to(baton, SDR_CHANNEL)
    assert TAKE not in buttons(card)
    assert "*Taken* by <@USDR>" in blocks_of(card)
    (controls,) = in_thread(baton, card)
    assert (
        "<@USDR>, you're live with the prospect: reply in this thread." in controls.params["text"]
    )
    assert outbox(baton, rows.TAKEN)[0].status == "done"


# --- Take it ------------------------------------------------------------------------------


async def test_two_sdrs_take_at_once_one_owns_the_chat(baton: SlackBaton) -> None:
    chat, card = await requested(baton)
    await asyncio.gather(
        press(baton, "USDR", TAKE, chat.live_chat_id, ts=card_ts(card)),
        press(baton, "USDR2", TAKE, chat.live_chat_id, ts=card_ts(card)),
    )
    await listeners_done()
    row = stored_chat(baton, chat)
    assert row.status == rows.LIVE
    names = {"USDR": "Sam Sdr", "USDR2": "Sue Second"}
    (told,) = baton.slack.of("chat.postEphemeral")
    winner = "USDR" if told.params["user"] == "USDR2" else "USDR2"
    assert told.params["user"] != winner
    assert told.params["text"].startswith(f"{names[winner]} has already taken this chat")
    joined = [
        m
        for m in transcript(baton, chat)
        if m.payload and m.payload.get("live", {}).get("event") == "joined"
    ]
    assert len(joined) == 1 and joined[0].text.startswith(names[winner])

    await baton.deliver()
    (update,) = baton.slack.of("chat.update")
    assert update.params["ts"] == card_ts(card)
    assert f"*Taken* by <@{winner}>" in blocks_of(update) and TAKE not in buttons(update)
    (controls,) = in_thread(baton, card)
    assert set(buttons(controls)) == {
        RECORD_ANSWERS,
        REQUEST_HANDOFF,
        RETURN_TO_NURTURE,
        HAND_BACK,
        END,
    }
    assert all(b["value"] == str(chat.live_chat_id) for b in buttons(controls).values())
    assert "confirm" in buttons(controls)[END]
    assert len(posts(baton, CONTROLS, chat.live_chat_id)) == 1


async def test_a_stranger_cannot_take_a_chat(baton: SlackBaton) -> None:
    chat, card = await requested(baton)
    await press(baton, "UNKNOWN", TAKE, chat.live_chat_id, ts=card_ts(card))
    (told,) = await baton.slack.wait_for("chat.postEphemeral")
    assert "I don't know you yet" in told.params["text"]
    assert stored_chat(baton, chat).status == rows.WAITING


# --- the thread: SDR → prospect -------------------------------------------------------------


async def test_the_owners_reply_reaches_the_prospect_once(baton: SlackBaton) -> None:
    chat, card, _ = await taken(baton)
    reply = thread_reply("USDR", "Hi! I'm Sam &lt;here&gt; *to help*", thread_ts=card_ts(card))
    await asyncio.gather(deliver_event(baton, reply), deliver_event(baton, reply))
    await listeners_done()
    await deliver_event(baton, thread_reply("USDR", "Still there?", thread_ts=card_ts(card)))
    await listeners_done()
    said = [m for m in transcript(baton, chat) if m.author == "sdr"]
    assert [m.text for m in said] == ["Hi! I'm Sam <here> *to help*", "Still there?"]
    assert said[0].payload is not None and said[0].payload["live"]["agent"] == "Sam Sdr"
    assert baton.slack.of("chat.postEphemeral") == []


async def test_a_mention_in_the_thread_is_sent_once(baton: SlackBaton) -> None:
    """Slack sends `@Baton …` in a thread both as `message` and as `app_mention`."""
    chat, card, _ = await taken(baton)
    said = thread_reply("USDR", "<@UBOT> can you see this?", thread_ts=card_ts(card))
    mention = {**said, "type": "app_mention"}
    del mention["channel_type"]
    await asyncio.gather(deliver_event(baton, mention), deliver_event(baton, said))
    await listeners_done()
    assert [m.text for m in transcript(baton, chat) if m.author == "sdr"] == ["can you see this?"]
    assert len(in_thread(baton, card)) == 1  # the controls only: nothing said to the SDR


async def test_others_in_the_thread_are_told_their_message_was_not_sent(
    baton: SlackBaton,
) -> None:
    chat, card = await requested(baton)
    await deliver_event(baton, thread_reply("USDR", "hello?", thread_ts=card_ts(card)))
    (first,) = await baton.slack.wait_for("chat.postEphemeral")
    assert first.params["text"] == "Take the chat first. Your message was not sent."
    assert first.params["thread_ts"] == card_ts(card) and first.params["user"] == "USDR"

    await press(baton, "USDR", TAKE, chat.live_chat_id, ts=card_ts(card))
    await until(lambda: stored_chat(baton, chat).status == rows.LIVE)
    await deliver_event(baton, thread_reply("USDR2", "I can help too", thread_ts=card_ts(card)))
    second = (await baton.slack.wait_for("chat.postEphemeral", 2))[1]
    assert second.params["user"] == "USDR2"
    assert second.params["text"] == (
        "Only Sam Sdr is talking with the prospect; your message was not sent."
    )
    # Bots (this app's relays included), edits and deletions are not replies.
    for event in (
        thread_reply("UBOT", "*Prospect:* hi", thread_ts=card_ts(card), bot_id="BBOT"),
        thread_reply("USDR", "edited", thread_ts=card_ts(card), subtype="message_changed"),
        thread_reply("USDR", "", thread_ts=card_ts(card), subtype="message_deleted"),
    ):
        await deliver_event(baton, event)
    await listeners_done()
    assert [m for m in transcript(baton, chat) if m.author == "sdr"] == []
    assert len(baton.slack.of("chat.postEphemeral")) == 2


# --- the thread: prospect → SDR -------------------------------------------------------------


SAID = ("first @here <!here>", "second *bold*", "third & last", "fourth", "fifth")


async def test_prospect_messages_reach_the_thread_in_order_through_a_rate_limit(
    baton: SlackBaton,
) -> None:
    chat, card, _ = await taken(baton)
    prospect_says(baton, chat, *SAID)
    baton.slack.fail_next("chat.postMessage", status=429, retry_after=0, after=2)
    await baton.deliver()
    assert relayed(baton, card) == [relay_text(text) for text in SAID]
    assert relay_text(SAID[0]) == "*Prospect:* first @\u200dhere &lt;!here&gt;"
    assert relay_text(SAID[2]) == "*Prospect:* third &amp; last"
    limited = [c for c in baton.slack.of("chat.postMessage") if c.status == 429]
    assert len(limited) == 1
    assert all(item.status == "done" for item in outbox(baton, rows.RELAY))
    assert stored_chat(baton, chat).relay_lease_until is None


async def test_slack_failing_half_way_loses_and_doubles_nothing(baton: SlackBaton) -> None:
    chat, card, _ = await taken(baton)
    prospect_says(baton, chat, *SAID)
    baton.slack.fail_next("chat.postMessage", status=500, after=1)
    baton.slack.fail_next("chat.postMessage", status=503, after=1)
    await baton.deliver()
    items = outbox(baton, rows.RELAY)
    assert [i.attempts for i in items[:2]] == [1, 1]  # each failed once, half-way
    assert relayed(baton, card) == [relay_text(text) for text in SAID]
    row = stored_chat(baton, chat)
    assert row.relay_lease_until is None and row.relayed_seq == transcript(baton, chat)[-1].seq

    await baton.deliver(now=datetime.now(UTC) + timedelta(minutes=10))
    assert all(item.status == "done" for item in outbox(baton, rows.RELAY))
    assert relayed(baton, card) == [relay_text(text) for text in SAID]


async def test_a_relay_waits_for_the_card(baton: SlackBaton) -> None:
    people(baton)
    baton.slack.fail_next("chat.postMessage", status=500)
    chat = web_chat(baton)
    prospect_says(baton, chat, "anyone?")
    await baton.deliver()
    (relay,) = outbox(baton, rows.RELAY)
    assert relay.status == "pending" and relay.attempts == 0  # waiting, not failing
    (request,) = outbox(baton, rows.REQUESTED)
    assert request.attempts == 1 and relay.next_attempt_at >= request.next_attempt_at

    await baton.deliver(now=datetime.now(UTC) + timedelta(minutes=10))
    (card,) = posted_to(baton, SDR_CHANNEL)
    assert relayed(baton, card) == [relay_text("anyone?")]
    assert outbox(baton, rows.RELAY)[0].status == "done"


async def test_a_relay_waits_while_another_worker_relays(baton: SlackBaton) -> None:
    chat, card, _ = await taken(baton)
    with baton.runtime.session() as session:
        assert rows.acquire_relay(
            session=session, live_chat_id=chat.live_chat_id, now=datetime.now(UTC)
        )
        session.commit()
    prospect_says(baton, chat, "anyone?")
    await baton.deliver()
    (relay,) = outbox(baton, rows.RELAY)
    assert relay.status == "pending" and relay.attempts == 0
    assert relayed(baton, card) == []
    with baton.runtime.session() as session:
        rows.release_relay(session=session, live_chat_id=chat.live_chat_id)
        session.commit()
    await baton.deliver(now=datetime.now(UTC) + timedelta(seconds=3))
    assert relayed(baton, card) == [relay_text("anyone?")]


# --- nobody takes it --------------------------------------------------------------------------


async def test_nobody_takes_it_in_time(baton: SlackBaton) -> None:
    chat, card = await requested(baton)
    answer_by = stored_chat(baton, chat).answer_by
    await baton.deliver(now=answer_by - timedelta(seconds=1))
    assert stored_chat(baton, chat).status == rows.WAITING

    await baton.deliver(now=answer_by + timedelta(seconds=1))
    assert stored_chat(baton, chat).status == rows.MISSED
    messages = transcript(baton, chat)
    (missed,) = [m for m in messages if m.author == "system" and m.payload and m.payload["offer"]]
    assert missed.payload is not None and missed.payload["offer"] == OFFER_FOLLOWUP
    assert messages[-1].author == "bot" and messages[-1].payload is not None
    assert messages[-1].payload["step_id"] == "budget"
    assert conversation_of(baton, chat).status == "active"
    (update,) = baton.slack.of("chat.update")
    note = "Nobody took this chat within 2 min — the prospect was offered a follow-up."
    assert note in blocks_of(update) and TAKE not in buttons(update)
    (closing,) = in_thread(baton, card)
    assert note in closing.params["text"]
    assert len(posts(baton, CLOSING, chat.live_chat_id)) == 1

    # The prospect then asks for a meeting: the SDRs hear of it in the chat's thread.
    with baton.runtime.session() as session:
        live.request_follow_up(
            session=session,
            conversation_id=chat.conversation_id,
            kind="meeting",
            email=None,
            now=datetime.now(UTC),
        )
    await baton.deliver()
    follow_up = in_thread(baton, card)[-1]
    assert (
        "asked to set up a meeting (nobody took the live chat in time)" in follow_up.params["text"]
    )
    assert (
        "&lt;script&gt;" in follow_up.params["text"]
        and "dana@acme.example" in follow_up.params["text"]
    )
    await baton.deliver()
    assert len(in_thread(baton, card)) == 2


# --- the controls -----------------------------------------------------------------------------


async def test_hand_back_the_bot_asks_again(baton: SlackBaton) -> None:
    chat, card, controls = await taken(baton)
    await press(
        baton, "USDR2", HAND_BACK, chat.live_chat_id, ts=card_ts(controls), thread_ts=card_ts(card)
    )
    (refused,) = await baton.slack.wait_for("chat.postEphemeral")
    assert refused.params["text"].startswith("Sam Sdr has already taken this chat")
    assert refused.params["thread_ts"] == card_ts(card)
    assert stored_chat(baton, chat).status == rows.LIVE

    await press(
        baton, "USDR", HAND_BACK, chat.live_chat_id, ts=card_ts(controls), thread_ts=card_ts(card)
    )
    await until(lambda: stored_chat(baton, chat).status == rows.ENDED)
    assert conversation_of(baton, chat).status == "active"
    last = transcript(baton, chat)[-1]
    assert last.author == "bot" and last.payload is not None and last.payload["step_id"] == "budget"

    await baton.deliver()
    card_update = [c for c in baton.slack.of("chat.update") if c.params["ts"] == card_ts(card)][-1]
    assert "*Handed back to the bot* by <@USDR>" in blocks_of(card_update)
    (controls_update,) = [
        c for c in baton.slack.of("chat.update") if c.params["ts"] == card_ts(controls)
    ]
    assert set(buttons(controls_update)) == {
        RECORD_ANSWERS,
        REQUEST_HANDOFF,
        RETURN_TO_NURTURE,
    }
    closing = in_thread(baton, card)[-1]
    assert closing.params["text"] == (
        ":robot_face: <@USDR> handed the prospect back to the bot; the bot carries on with its"
        " questions."
    )


async def test_a_manager_ends_the_chat(baton: SlackBaton) -> None:
    chat, card, controls = await taken(baton)
    await press(
        baton, "UBOSS", END, chat.live_chat_id, ts=card_ts(controls), thread_ts=card_ts(card)
    )
    await until(lambda: stored_chat(baton, chat).status == rows.ENDED)
    assert conversation_of(baton, chat).status == "completed"
    await baton.deliver()
    card_update = [c for c in baton.slack.of("chat.update") if c.params["ts"] == card_ts(card)][-1]
    assert "*Ended* by <@UBOSS>" in blocks_of(card_update)
    assert "*Taken* by <@USDR>" in blocks_of(card_update)
    assert in_thread(baton, card)[-1].params["text"].startswith(":wave: <@UBOSS> ended the chat.")
    # Ended: a reply in the thread no longer reaches anyone, and its author is told.
    await deliver_event(baton, thread_reply("USDR", "bye!", thread_ts=card_ts(card)))
    (told,) = await baton.slack.wait_for("chat.postEphemeral")
    assert told.params["text"] == "This chat has ended. Your message was not sent."


async def test_request_handoff_from_the_thread(baton: SlackBaton) -> None:
    chat, card, controls = await taken(baton)
    await press(
        baton,
        "USDR",
        REQUEST_HANDOFF,
        chat.live_chat_id,
        ts=card_ts(controls),
        thread_ts=card_ts(card),
    )
    (told,) = await baton.slack.wait_for("chat.postEphemeral")
    assert (
        "Handoff requested for" in told.params["text"] and "&lt;script&gt;" in told.params["text"]
    )
    assert told.params["thread_ts"] == card_ts(card)
    with baton.runtime.session() as session:
        request = pending_handoff(session=session, lead_id=chat.lead_id)
        assert request is not None
    await baton.deliver()
    (approval,) = posted_to(baton, APPROVAL_CHANNEL)
    assert "Handoff request for" in blocks_of(approval)


async def test_return_to_nurture_asks_for_the_reason(baton: SlackBaton) -> None:
    chat, card, controls = await taken(baton)
    await press(
        baton,
        "USDR",
        RETURN_TO_NURTURE,
        chat.live_chat_id,
        ts=card_ts(controls),
        thread_ts=card_ts(card),
    )
    (opened,) = await baton.slack.wait_for("views.open")
    view = opened.params["view"]
    assert view["callback_id"] == "nurture_submit"
    assert json.loads(view["private_metadata"]) == {"lead_id": chat.lead_id}


async def test_record_bant_opens_the_call_form_for_the_lead(baton: SlackBaton) -> None:
    chat, card, controls = await taken(baton)
    await press(
        baton,
        "USDR2",
        RECORD_ANSWERS,
        chat.live_chat_id,
        ts=card_ts(controls),
        thread_ts=card_ts(card),
    )
    await baton.slack.wait_for("chat.postEphemeral")
    assert baton.slack.of("views.open") == []

    await press(
        baton,
        "USDR",
        RECORD_ANSWERS,
        chat.live_chat_id,
        ts=card_ts(controls),
        thread_ts=card_ts(card),
    )
    (opened,) = await baton.slack.wait_for("views.open")
    view = opened.params["view"]
    assert view["callback_id"] == "qualify"
    assert json.loads(view["private_metadata"]) == {"lead_id": chat.lead_id}
    need = next(b for b in view["blocks"] if b.get("block_id") == "step:need")
    assert need["element"]["initial_value"] == NEED
    assert need["label"]["text"] == "Need (prospect said)"


async def test_the_card_of_a_chat_closed_before_anyone_took_it(baton: SlackBaton) -> None:
    """Rendering alone: a chat closed before anyone took it says so, without Take it."""
    people(baton)
    chat = web_chat(baton)
    with baton.runtime.session() as session:
        rows.close(
            session=session,
            live_chat_id=chat.live_chat_id,
            status=rows.ENDED,
            reason="lead_moved",
            by="system",
            now=datetime.now(UTC),
        )
        session.commit()
        view = live_chat_view(session=session, live_chat_id=chat.live_chat_id)
    blocks = card_blocks(view, dashboard_url=None)
    assert all(block["type"] != "actions" for block in blocks)
    assert blocks[-1]["text"]["text"].startswith("*Closed* at <!date^")
