"""The bot's replies in a qualification thread, posted after the turn that wrote them commits.

A turn queues its reply (an outbox item, storage.slack_threads.queue_reply) in the turn's own
transaction, due a short grace later. The listener that took the message posts it as soon as
Slack has its 200 (`post_now`); the outbox worker posts it only when that did not happen (the
process died, Slack failed). Either way the reply is rendered from the messages table at
delivery time and recorded in `slack_posts`, so a repeated delivery posts it once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import inspect
from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack.chat_blocks import LeadLine, OnFile, ThreadPost, prompt_post, start_post
from bot.slack.runner import in_transaction
from dialogs.prompt import Prompt
from qualification.errors import NotFound
from storage.answers import current_answers
from storage.leads import get_lead
from storage.models import OutboxItem
from storage.outbox_worker import mark_done as outbox_done
from storage.slack_posts import posts_for, record_post
from storage.slack_threads import CHAT_REPLY, REPLY_POST, queue_reply, thread_of, thread_reply

if TYPE_CHECKING:
    from bot.outbox import OutboxDispatcher

log = logging.getLogger(__name__)

# The worker leaves a reply this long to the listener that took the message.
GRACE = timedelta(seconds=10)
# How long that listener tries; past it (Slack slow or rate limiting) the worker takes over.
POST_NOW_SECONDS = 5.0


def register(dispatcher: OutboxDispatcher, runtime: Runtime, client: AsyncWebClient) -> None:
    """Subscribe the reply handler to the outbox."""
    del runtime  # read at delivery time
    dispatcher.register(CHAT_REPLY, ChatReplies(client).deliver)


def queue(
    *, session: Session, conversation_id: int, lead_id: int, turn_id: str | None
) -> OutboxItem:
    """Queue the reply to `turn_id` (None: the opening question) in the caller's transaction."""
    return queue_reply(
        session=session,
        conversation_id=conversation_id,
        lead_id=lead_id,
        turn_id=turn_id,
        due=datetime.now(UTC) + GRACE,
    )


def committed(item: OutboxItem) -> bool:
    """Whether `item` was committed: the engine commits the turn with it, or rolls both back
    (a repeated turn id, a refused turn), which leaves the row transient again."""
    return bool(inspect(item).persistent)


@dataclass(frozen=True)
class _Pending:
    channel: str
    thread_ts: str
    post: ThreadPost


def _on_file(session: Session, lead_id: int, conversation_id: int) -> list[OnFile]:
    """Answers the lead had before this conversation (the opening lists them)."""
    return [
        OnFile(
            dimension=answer.dimension.value,
            summary=str(answer.parsed.get("summary") or answer.raw_text),
            given_by=answer.given_by.value,
        )
        for answer in current_answers(session=session, lead_id=lead_id).values()
        if answer.conversation_id != conversation_id
    ]


def _pending(session: Session, item_id: int, payload: dict[str, Any]) -> _Pending | None:
    """The reply to post, rendered as the database holds it now; None when it was posted
    already or there is nothing to post any more (the lead was erased)."""
    if posts_for(session=session, subject=REPLY_POST, subject_id=item_id):
        return None
    conversation_id = int(payload["conversation_id"])
    turn_id = payload.get("turn_id")
    thread = thread_of(session=session, conversation_id=conversation_id)
    message = thread_reply(
        session=session,
        conversation_id=conversation_id,
        turn_id=str(turn_id) if turn_id is not None else None,
    )
    if thread is None or message is None or not message.payload:
        return None
    prompt = Prompt.from_json(dict(message.payload))
    try:
        lead = get_lead(session=session, lead_id=int(payload["lead_id"]))
    except NotFound:
        return None
    assert lead.id is not None
    name = lead.name or lead.email or f"lead {lead.id}"
    if turn_id is None:
        line = LeadLine(
            lead_id=lead.id,
            name=name,
            company=lead.company_name,
            stage=lead.stage.value,
            score=lead.score,
        )
        post = start_post(prompt, lead=line, on_file=_on_file(session, lead.id, conversation_id))
    else:
        post = prompt_post(prompt, lead_id=lead.id, lead_name=name)
    return _Pending(channel=thread.channel, thread_ts=thread.thread_ts, post=post)


async def post_reply(
    client: AsyncWebClient,
    runtime: Runtime,
    *,
    item_id: int,
    payload: dict[str, Any],
    mark_done: bool = False,
) -> None:
    """Post the reply queued as outbox item `item_id` in its thread, unless it was posted.
    With `mark_done`, the item is marked done in the transaction that records the post."""

    def finish(session: Session, posted: tuple[str, str] | None) -> None:
        if posted is not None:
            channel, ts = posted
            record_post(
                session=session, subject=REPLY_POST, subject_id=item_id, channel=channel, ts=ts
            )
        if mark_done:
            outbox_done(session=session, item_id=item_id, now=datetime.now(UTC))

    pending = await in_transaction(
        runtime, lambda session: _pending(session, item_id, payload), read_only=True
    )
    posted: tuple[str, str] | None = None
    if pending is not None:
        response = await client.chat_postMessage(
            channel=pending.channel,
            thread_ts=pending.thread_ts,
            text=pending.post.text,
            blocks=pending.post.blocks,
        )
        posted = (str(response.get("channel") or pending.channel), str(response["ts"]))
    if posted is not None or mark_done:
        await in_transaction(runtime, lambda session: finish(session, posted))


async def post_now(client: AsyncWebClient, runtime: Runtime, item: OutboxItem) -> None:
    """Right after the ack: post the reply and mark its item done. A failure leaves it to the
    outbox worker, which retries from the item's due time on."""
    assert item.id is not None
    item_id = item.id
    try:
        async with asyncio.timeout(POST_NOW_SECONDS):
            await post_reply(
                client, runtime, item_id=item_id, payload=dict(item.payload), mark_done=True
            )
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
        log.warning("reply %s not posted yet, left to the outbox: %r", item_id, error)


@dataclass(frozen=True)
class ChatReplies:
    """The outbox handler of queued replies."""

    client: AsyncWebClient

    async def deliver(self, runtime: Runtime, item: OutboxItem) -> None:
        assert item.id is not None
        await post_reply(self.client, runtime, item_id=item.id, payload=dict(item.payload))
