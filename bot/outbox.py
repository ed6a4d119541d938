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

from bot.runtime import Runtime
from storage.models import OutboxItem
from storage.outbox_worker import claim_batch, mark_done, mark_failed

log = logging.getLogger(__name__)

Handler = Callable[[Runtime, OutboxItem], Awaitable[None]]
# A job run every `interval` seconds by the delivery loop (e.g. queue reminders that are due).
PeriodicJob = Callable[[Runtime, datetime], Awaitable[None]]


@dataclass
class _Periodic:
    job: PeriodicJob
    interval: float
    next_run: float = 0.0


class OutboxDispatcher:
    """Which handler delivers which topic, and the periodic jobs of the delivery loop.

    An item whose topic has no handler is marked done without action: domain events are
    recorded for every change so that subscribers added later (webhooks) can be wired in, and
    until one exists there is nobody to deliver them to.
    """

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._periodic: list[_Periodic] = []

    def register(self, topic: str, handler: Handler) -> None:
        """Deliver items of `topic` with `handler` (one handler per topic: a retry re-runs it)."""
        if topic in self._handlers:
            raise ValueError(f"outbox topic {topic!r} already has a handler")
        self._handlers[topic] = handler

    def handler_for(self, topic: str) -> Handler | None:
        return self._handlers.get(topic)

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


def build_dispatcher(runtime: Runtime) -> OutboxDispatcher:
    """The handlers this process delivers with: Slack's when Slack is configured."""
    dispatcher = OutboxDispatcher()
    if runtime.settings.slack_enabled:
        from bot.slack.delivery import register_deliveries

        register_deliveries(dispatcher, runtime)
    return dispatcher
