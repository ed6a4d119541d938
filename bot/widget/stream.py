"""The widget's server-sent event stream of one conversation.

First everything after the client's last seq, then each new message once it is committed
(woken by the hub), in order: `id: <seq>`, `event: message`, `data: <json>`. A `live` event
carries the live chat, the bot's prompt and the restart flag whenever they change (always once
at the start). A comment line keeps idle connections open; the stream ends after a few minutes,
or when the process shuts down, and the client reconnects with its last seq.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot.http_errors import database_unavailable
from bot.runtime import Runtime
from bot.widget.guard import WidgetLimits
from bot.widget.live import Batch, read_since
from bot.widget.live_hub import LiveHub
from bot.widget.live_schemas import StateOut
from qualification.errors import NotFound
from storage.db import describe_database_error

log = logging.getLogger("baton.widget.live")

KEEP_ALIVE = ": keep-alive\n\n"


def sse(event: str, data: dict[str, Any], *, event_id: int | None = None) -> str:
    """One server-sent event (JSON has no raw newlines, so `data` is a single line)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"{head}event: {event}\ndata: {body}\n\n"


async def _read(rt: Runtime, conversation_id: int, after: int) -> Batch | None:
    """The next batch, or None when the stream should end (the conversation is gone, or the
    database cannot be used now: the client reconnects later)."""
    try:
        return await asyncio.to_thread(
            read_since, rt=rt, conversation_id=conversation_id, after=after
        )
    except NotFound:
        return None
    except SQLAlchemyError as exc:
        if not database_unavailable(exc):
            raise
        log.warning("live stream ended: database unavailable: %s", describe_database_error(exc))
        return None


async def live_events(
    *, rt: Runtime, hub: LiveHub, conversation_id: int, after: int, limits: WidgetLimits
) -> AsyncIterator[str]:
    """The events of one stream; ends on its own after `limits.stream_seconds`. A client that
    disconnects cancels it (the response stops iterating), which unregisters it from the hub."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limits.stream_seconds
    shown: tuple[Any, ...] | None = None
    with hub.watch(conversation_id, after) as watch:
        while True:
            batch = await _read(rt, conversation_id, watch.cursor)
            if batch is None:
                return
            for item in batch.items:
                yield sse("message", item, event_id=int(item["seq"]))
                watch.cursor = int(item["seq"])
            if batch.view.key() != shown:
                shown = batch.view.key()
                yield sse("live", StateOut.of(batch.view).model_dump(mode="json"))
            if batch.more:
                continue
            while True:
                remaining = deadline - loop.time()
                if hub.closing or remaining <= 0:
                    return
                if await watch.wait(min(limits.heartbeat_seconds, remaining)):
                    break
                yield KEEP_ALIVE
