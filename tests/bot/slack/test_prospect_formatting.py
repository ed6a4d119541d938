"""What a prospect types reaches Slack as typed, with no bold, italics, strike or code of its own.

A web prospect answers with Slack formatting markers and asks for a human (the real engine, as in
test_live_chat); the card the outbox posts to the fake Slack and the prospect's later message in
the thread show the markers defused by a zero-width space.
"""

from __future__ import annotations

from bot.slack.live_blocks import TAKE
from storage import live_chats as rows
from tests.bot.slack.conftest import SDR_CHANNEL, SlackBaton
from tests.bot.slack.live_chats import baton as baton  # the fixture
from tests.bot.slack.live_chats import (
    blocks_of,
    card_ts,
    in_thread,
    people,
    posted_to,
    press,
    prospect_says,
    relayed,
    stored_chat,
    until,
    web_chat,
)

TYPED = "*urgent* _now_"
SHOWN = "*\u200burgent\u200b* _\u200bnow\u200b_"


async def test_a_prospects_markers_reach_slack_defused(baton: SlackBaton) -> None:
    people(baton)
    chat = web_chat(baton, need=TYPED)
    await baton.deliver()
    (card,) = posted_to(baton, SDR_CHANNEL)
    shown = blocks_of(card)
    assert SHOWN in shown and TYPED not in shown

    await press(baton, "USDR", TAKE, chat.live_chat_id, ts=card_ts(card))
    await until(lambda: stored_chat(baton, chat).status == rows.LIVE)
    prospect_says(baton, chat, f"{TYPED} ~gone~ `code`\n> quoted")
    await baton.deliver()
    assert relayed(baton, card) == [
        f"*Prospect:* {SHOWN} ~\u200bgone\u200b~ `\u200bcode\u200b`\n\u200b&gt; quoted"
    ]
    assert all(TYPED not in c.params["text"] for c in in_thread(baton, card))
