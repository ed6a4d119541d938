"""The outbox worker of one app process: claims due items and hands each to its topic's handler.

Database work runs in a thread in short transactions; handlers (Slack posts, webhooks) run on
the event loop. Several processes share the outbox safely (see storage.outbox_worker).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from bot.runtime import Runtime
from storage.models import OutboxItem
from storage.outbox_worker import claim_batch, mark_done, mark_failed

log = logging.getLogger(__name__)

Handler = Callable[[Runtime, OutboxItem], Awaitable[None]]


class OutboxDispatcher:
    """Which handler delivers which topic.

    An item whose topic has no handler is marked done without action: domain events are
    recorded for every change so that subscribers added later (webhooks) can be wired in, and
    until one exists there is nobody to deliver them to.
    """

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, topic: str, handler: Handler) -> None:
        """Deliver items of `topic` with `handler`; a second registration replaces the first."""
        self._handlers[topic] = handler

    def handler_for(self, topic: str) -> Handler | None:
        return self._handlers.get(topic)


def _claim(runtime: Runtime, now: datetime) -> list[OutboxItem]:
    with runtime.session() as session:
        items = claim_batch(session=session, now=now)
        session.commit()
        return items


def _finish(runtime: Runtime, item_id: int, error: str | None, now: datetime) -> None:
    with runtime.session() as session:
        if error is None:
            mark_done(session=session, item_id=item_id, now=now)
        else:
            mark_failed(session=session, item_id=item_id, error=error, now=now)
        session.commit()


async def run_once(
    *, runtime: Runtime, dispatcher: OutboxDispatcher, now: datetime | None = None
) -> int:
    """Deliver one batch of due items; returns how many were claimed."""
    claimed_at = now or datetime.now(UTC)
    items = await asyncio.to_thread(_claim, runtime, claimed_at)
    for item in items:
        assert item.id is not None
        handler = dispatcher.handler_for(item.topic)
        error: str | None = None
        if handler is not None:
            try:
                await handler(runtime, item)
            except Exception as exc:  # any failure is retried later, never fatal to the batch
                error = f"{type(exc).__name__}: {exc}"
                log.warning("outbox item %s (%s) failed: %s", item.id, item.topic, error)
        finished_at = now or datetime.now(UTC)
        await asyncio.to_thread(_finish, runtime, item.id, error, finished_at)
    return len(items)


async def outbox_loop(
    runtime: Runtime,
    dispatcher: OutboxDispatcher,
    stop_event: asyncio.Event,
    interval: float = 1.0,
) -> None:
    """Deliver due items until `stop_event` is set; a full batch is followed at once by the next."""
    while not stop_event.is_set():
        claimed = 0
        try:
            claimed = await run_once(runtime=runtime, dispatcher=dispatcher)
        except Exception:  # e.g. the database is briefly unreachable: try again next round
            log.exception("outbox delivery round failed")
        if claimed:
            continue
        try:
            await asyncio.wait_for(stop_event.wait(), timeout=interval)
        except TimeoutError:
            pass


def build_dispatcher(_runtime: Runtime) -> OutboxDispatcher:
    """The handlers this process delivers with (none yet: every item is recorded as done)."""
    return OutboxDispatcher()
