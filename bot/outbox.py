"""The outbox worker of one app process: claims due items and hands each to its topic's handler.

Database work runs in a thread in short transactions; handlers (Slack posts, webhooks) run on
the event loop. Several processes share the outbox safely (see storage.outbox_worker).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.runtime import Runtime
from storage.models import OutboxItem
from storage.outbox_worker import (
    MAX_ATTEMPTS,
    claim_batch,
    defer,
    mark_done,
    mark_failed,
    settle_undelivered,
)

if TYPE_CHECKING:
    from bot.slack.http import SlackHttp

log = logging.getLogger(__name__)

Handler = Callable[[Runtime, OutboxItem], Awaitable[None]]
# A job run every `interval` seconds by the delivery loop (e.g. queue reminders that are due).
PeriodicJob = Callable[[Runtime, datetime], Awaitable[None]]


class Deferred(Exception):
    """Raised by a handler whose item must wait (for example behind an earlier item it has to
    follow): the item is put off until `until`, and no attempt is counted."""

    def __init__(self, until: datetime, reason: str) -> None:
        super().__init__(reason)
        self.until = until


@dataclass
class _Periodic:
    job: PeriodicJob
    interval: float
    next_run: float = 0.0


class OutboxDispatcher:
    """Which handler delivers which topic, and the periodic jobs of the delivery loop.

    An item whose topic has no handler is marked done without action: domain events are
    recorded for every change so that subscribers added later can be wired in, and until one
    exists there is nobody to deliver them to. (Webhooks get items of their own, queued beside
    each domain event: see storage.webhook_events.)
    """

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._max_attempts: dict[str, int] = {}
        self._periodic: list[_Periodic] = []

    def register(self, topic: str, handler: Handler, *, max_attempts: int = MAX_ATTEMPTS) -> None:
        """Deliver items of `topic` with `handler` (one handler per topic: a retry re-runs it);
        an item that has failed `max_attempts` times is given up ('dead')."""
        if topic in self._handlers:
            raise ValueError(f"outbox topic {topic!r} already has a handler")
        self._handlers[topic] = handler
        self._max_attempts[topic] = max_attempts

    def handler_for(self, topic: str) -> Handler | None:
        return self._handlers.get(topic)

    def max_attempts_for(self, topic: str) -> int:
        return self._max_attempts.get(topic, MAX_ATTEMPTS)

    def every(self, interval: float, job: PeriodicJob) -> None:
        """Run `job` from the delivery loop at most once per `interval` seconds."""
        self._periodic.append(_Periodic(job=job, interval=interval))

    async def run_periodic(self, runtime: Runtime, now: datetime | None = None) -> None:
        """Run the jobs that are due (all of them when `now` is given, as tests do)."""
        clock = time.monotonic()
        for periodic in self._periodic:
            if now is None and clock < periodic.next_run:
                continue
            periodic.next_run = clock + periodic.interval
            try:
                await periodic.job(runtime, now or datetime.now(UTC))
            except Exception:  # a failing job is logged and tried again next time
                log.exception("periodic job %s failed", getattr(periodic.job, "__name__", "?"))


def _claim(runtime: Runtime, dispatcher: OutboxDispatcher, now: datetime) -> list[OutboxItem]:
    """Lease a batch of due items; those nobody delivers (no handler for their topic) are
    marked done in the same transaction, so they cost no transaction of their own. Returns
    every item claimed (how many drives the loop)."""
    with runtime.session() as session:
        items = claim_batch(session=session, now=now)
        for item in items:
            if dispatcher.handler_for(item.topic) is None:
                settle_undelivered(item, now=now)
                session.add(item)
        session.commit()
        return items


def _finish(
    runtime: Runtime,
    item_id: int,
    error: str | None,
    now: datetime,
    *,
    deferred_until: datetime | None = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> None:
    with runtime.session() as session:
        if deferred_until is not None:
            defer(session=session, item_id=item_id, until=deferred_until)
        elif error is None:
            mark_done(session=session, item_id=item_id, now=now)
        else:
            mark_failed(
                session=session, item_id=item_id, error=error, now=now, max_attempts=max_attempts
            )
        session.commit()


async def run_once(
    *, runtime: Runtime, dispatcher: OutboxDispatcher, now: datetime | None = None
) -> int:
    """Deliver one batch of due items; returns how many were claimed."""
    claimed_at = now or datetime.now(UTC)
    items = await asyncio.to_thread(_claim, runtime, dispatcher, claimed_at)
    for item in items:
        assert item.id is not None
        handler = dispatcher.handler_for(item.topic)
        if handler is None:
            continue  # done already, in the claim
        error: str | None = None
        deferred_until: datetime | None = None
        try:
            await handler(runtime, item)
        except Deferred as wait:
            deferred_until = wait.until
        except Exception as exc:  # any failure is retried later, never fatal to the batch
            error = f"{type(exc).__name__}: {exc}"
            log.warning("outbox item %s (%s) failed: %s", item.id, item.topic, error)
        finished_at = now or datetime.now(UTC)
        await asyncio.to_thread(
            _finish,
            runtime,
            item.id,
            error,
            finished_at,
            deferred_until=deferred_until,
            max_attempts=dispatcher.max_attempts_for(item.topic),
        )
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
            await dispatcher.run_periodic(runtime)
            claimed = await run_once(runtime=runtime, dispatcher=dispatcher)
        except Exception:  # e.g. the database is briefly unreachable: try again next round
            log.exception("outbox delivery round failed")
        if claimed:
            continue
        try:
            await asyncio.wait_for(stop_event.wait(), timeout=interval)
        except TimeoutError:
            pass


def build_dispatcher(runtime: Runtime, *, slack_http: SlackHttp | None = None) -> OutboxDispatcher:
    """The handlers this process delivers with: webhooks, and Slack's when Slack is configured
    (calling Slack over `slack_http`'s connections, see bot.slack.http)."""
    from bot.retention import register_retention
    from bot.webhooks.delivery import register_webhooks

    dispatcher = OutboxDispatcher()
    register_webhooks(dispatcher)
    register_retention(dispatcher)
    if runtime.settings.slack_enabled:
        from bot.slack.delivery import register_deliveries

        register_deliveries(dispatcher, runtime, http=slack_http)
    return dispatcher
