"""The prospect's messages relayed to the live chat's Slack thread: in order, and once.

A `live.message` item asks for the chat's messages up to its seq. The relayer takes the chat's
lease (one relayer per chat, across workers), posts every message past the chat's cursor
oldest first, and moves the cursor after each post, each step its own short transaction. If
Slack fails half-way (rate limits that outlast the client's retries, a 5xx), what was posted
stays counted and the item is retried for the rest; an item whose messages another delivery
relayed already has nothing left to do.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.outbox import Deferred
from bot.runtime import Runtime
from bot.slack.live_blocks import relay_text
from bot.slack.live_view import thread_expected_at
from bot.slack.runner import in_transaction
from qualification.errors import NotFound
from storage import live_chats as rows
from storage.models import OutboxItem

LEASE_SECONDS = 120.0
# Past this, the relayer stops and lets the item come back, well before its lease runs out.
BUDGET_SECONDS = 60.0
LEASE_TAKEN_RETRY = timedelta(seconds=2)


@dataclass(frozen=True)
class _Batch:
    channel: str
    thread_ts: str
    messages: tuple[tuple[int, str], ...]  # (seq, text), oldest first


@dataclass(frozen=True)
class _Start:
    batch: _Batch | None = None  # None: nothing (left) to relay
    wait_until: datetime | None = None  # the item must wait (lease taken, no thread yet)
    reason: str = ""


def _start(session: Session, live_chat_id: int, seq: int, now: datetime) -> _Start:
    """Take the chat's lease and read what is left to relay."""
    try:
        chat = rows.get_live_chat(session=session, live_chat_id=live_chat_id)
    except NotFound:  # erased with its lead
        return _Start()
    if chat.relayed_seq >= seq:
        return _Start()
    if not (chat.slack_channel and chat.slack_ts):
        until = thread_expected_at(session=session, live_chat_id=live_chat_id, now=now)
        return _Start(wait_until=until, reason="the chat's thread is not posted yet")
    if not rows.acquire_relay(
        session=session, live_chat_id=live_chat_id, now=now, lease_seconds=LEASE_SECONDS
    ):
        return _Start(wait_until=now + LEASE_TAKEN_RETRY, reason="another worker is relaying")
    chat = rows.get_live_chat(session=session, live_chat_id=live_chat_id)  # the cursor now
    messages = rows.unrelayed_messages(session=session, chat=chat)
    return _Start(
        batch=_Batch(
            channel=chat.slack_channel or "",
            thread_ts=chat.slack_ts or "",
            messages=tuple((message.seq, message.text) for message in messages),
        )
    )


@dataclass(frozen=True)
class Relay:
    """The `live.message` handler."""

    client: AsyncWebClient

    async def relay(self, runtime: Runtime, item: OutboxItem) -> None:
        live_chat_id, seq = int(item.payload["live_chat_id"]), int(item.payload["seq"])
        now = datetime.now(UTC)
        start = await in_transaction(runtime, lambda s: _start(s, live_chat_id, seq, now))
        if start.wait_until is not None:
            raise Deferred(until=start.wait_until, reason=start.reason)
        if start.batch is None:
            return
        try:
            await self._post_all(runtime, live_chat_id, start.batch)
        finally:
            await in_transaction(
                runtime, lambda s: rows.release_relay(session=s, live_chat_id=live_chat_id)
            )

    async def _post_all(self, runtime: Runtime, live_chat_id: int, batch: _Batch) -> None:
        began = time.monotonic()
        for seq, text in batch.messages:
            if time.monotonic() - began > BUDGET_SECONDS:
                raise Deferred(until=datetime.now(UTC), reason="more messages to relay")
            await self.client.chat_postMessage(
                channel=batch.channel,
                thread_ts=batch.thread_ts,
                text=relay_text(text),
                unfurl_links=False,
                unfurl_media=False,
            )

            def mark(session: Session, seq: int = seq) -> None:
                rows.mark_relayed(session=session, live_chat_id=live_chat_id, seq=seq)

            await in_transaction(runtime, mark)
