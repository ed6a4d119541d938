"""Slack threads that carry a qualification conversation (an SDR answering step by step), and
the bot's replies queued for them.

A reply is an outbox item (`slack.chat.reply`) written in the transaction of the turn it
answers; it names the turn, and the message it posts is read from the messages table when it
is delivered (bot.slack.chat_replies).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from qualification.errors import AlreadyExists
from storage.models import Message, OutboxItem, SlackThread
from storage.outbox import enqueue
from storage.savepoint import try_insert

CHAT_REPLY = "slack.chat.reply"
# `slack_posts` subject of a posted reply; its subject id is the reply's outbox item id.
REPLY_POST = "chat_reply"


def record_thread(
    *, session: Session, channel: str, thread_ts: str, conversation_id: int, user_id: int
) -> SlackThread:
    """Link a thread to its conversation; AlreadyExists if the thread already carries one."""
    thread = SlackThread(
        channel=channel, thread_ts=thread_ts, conversation_id=conversation_id, user_id=user_id
    )
    refused = try_insert(session, thread)
    if refused is not None:
        raise AlreadyExists("this thread already has a qualification") from refused
    return thread


def thread_at(*, session: Session, channel: str, thread_ts: str) -> SlackThread | None:
    """The conversation thread rooted at `thread_ts` in `channel`, if there is one."""
    return session.exec(
        select(SlackThread).where(
            SlackThread.channel == channel, SlackThread.thread_ts == thread_ts
        )
    ).first()


def thread_of(*, session: Session, conversation_id: int) -> SlackThread | None:
    """The thread a conversation runs in, if it runs in one."""
    return session.exec(
        select(SlackThread).where(SlackThread.conversation_id == conversation_id)
    ).first()


def queue_reply(
    *, session: Session, conversation_id: int, lead_id: int, turn_id: str | None, due: datetime
) -> OutboxItem:
    """Queue the bot's reply to `turn_id` (None: the opening question) for the conversation's
    thread, in the caller's transaction. The worker delivers it from `due` on; until then the
    channel that took the message may post it itself."""
    item = enqueue(
        session=session,
        kind="slack_post",
        topic=CHAT_REPLY,
        payload={"conversation_id": conversation_id, "lead_id": lead_id, "turn_id": turn_id},
    )
    item.next_attempt_at = due
    session.add(item)
    session.flush()
    return item


def thread_reply(*, session: Session, conversation_id: int, turn_id: str | None) -> Message | None:
    """The bot's reply to `turn_id` in a conversation (None: its opening question), if stored."""
    query = select(Message).where(
        Message.conversation_id == conversation_id,
        Message.direction == "out",
        Message.author == "bot",
    )
    if turn_id is None:
        query = query.order_by(col(Message.seq))
    else:
        query = query.where(Message.turn_id == turn_id)
    return session.exec(query).first()
