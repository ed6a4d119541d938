"""Replies in a live chat's Slack thread: the owner's go to the prospect, others are refused.

Every function here runs inside one session from `bot.slack.runner.in_transaction`. A reply is
keyed by its Slack ts, so the same message delivered twice (under two event ids) is sent once.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.slack.chat import Incoming, refusal
from bot.slack.chat_blocks import ThreadPost, note
from bot.slack.mrkdwn import safe
from bot.slack.runner import slack_user
from dialogs import live
from qualification.errors import BatonError
from storage.live_chats import live_chat_for_thread
from storage.models import Message


def live_chat_at(*, session: Session, message: Incoming) -> int | None:
    """The live chat whose thread `message` was written in, if any."""
    if message.thread_ts is None:
        return None
    chat = live_chat_for_thread(
        session=session, channel=message.channel, thread_ts=message.thread_ts
    )
    return chat.id if chat is not None else None


def send_reply(*, session: Session, live_chat_id: int, message: Incoming, now: datetime) -> Message:
    """The SDR's reply, stored for the prospect's widget (only the chat's owner may reply)."""
    return live.post_sdr_message(
        session=session,
        live_chat_id=live_chat_id,
        user=slack_user(session, message.user),
        text=message.text,
        message_key=message.ts,
        now=now,
    )


def not_sent(error: BatonError) -> ThreadPost:
    """Why a reply in the thread did not reach the prospect (shown to its author only)."""
    if isinstance(error, live.ChatAlreadyTaken):
        return note(
            f"Only {safe(error.owner, 200)} is talking with the prospect; your message was"
            " not sent."
        )
    if isinstance(error, live.ChatNotOpen):
        return note(f"{safe(str(error), 500)} Your message was not sent.")
    return refusal(error)
