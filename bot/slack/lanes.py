"""The Slack app's two lanes of work: what Slack's 200 waits for, and what comes after it.

Slack wants its 200 within 3 seconds, and Baton gives it far sooner (bench/slack.py): a listener
acknowledges first and leaves the rest, database work and Web API calls alike, to the after-ack
lane. That lane is a queue of jobs, at most `in_flight` running at once, whose database work runs
on a thread pool of its own. The few things that must be done before the 200 (a message's answer
committed, an event id claimed, a modal's inline errors) run on the ack lane's own pool. So a
backlog after the acks never holds an ack up: acks queue neither for its threads nor behind its
jobs, and Slack requests never queue behind the outbox worker (asyncio's default executor). And
while requests are on their way to their 200 (`acking`), no queued job starts (for half a second
at most): a burst of requests is answered first, and its work follows.

Backpressure: at most `backlog` jobs wait for a worker. Past that, `after_ack` waits for room (and
jobs start regardless of requests in progress), so sustained overload slows the acks down to the
pace the work gets done, instead of piling up work that would start too late to matter (a
modal's trigger id expires 3 s after the click).

A job's failures are handled here, once: a refusal (BatonError) is explained to the person; a
stranger whose email an administrator added is linked by it and the job run again; a database
that cannot be reached is told as such; anything else is logged (as the app's error handler
does for the listeners themselves).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack.errors import UnknownSlackUser
from bot.slack.linking import ensure_linked, link_by_email
from bot.slack.refusals import say, tell
from bot.slack.runner import in_transaction, pool
from qualification.errors import BatonError

log = logging.getLogger("baton.slack")
T = TypeVar("T")
# Whether the current task is a request on its way to its 200 (see Lanes.acking).
_ACKING: contextvars.ContextVar[bool] = contextvars.ContextVar("baton_slack_acking", default=False)
Job = Callable[[], Awaitable[None]]

# The name of every after-ack task (tests wait for them to finish).
TASK_NAME = "baton-slack-after-ack"
# Threads for database work before the ack: message turns are short write transactions that
# queue for SQLite's one writer anyway, and run side by side on PostgreSQL.
ACK_THREADS = 4
# Threads for database work after the ack. Few on purpose: each is Python holding the GIL, and
# more of them only take the interpreter away from the acks for longer.
AFTER_ACK_THREADS = 2
# Jobs running at once (their Web API calls overlap; their database work takes turns).
IN_FLIGHT = 8
# Jobs waiting for a worker before `after_ack` pushes back: about a second or two of work.
BACKLOG = 200
# How long a queued job lets requests on their way to their 200 go first, at most (seconds).
MAX_DEFER = 0.5

DATABASE_UNAVAILABLE = (
    "Baton could not reach its database just now, so what you asked for may not have been"
    " done. Please try again in a moment."
)
LINKED_NOW = (
    "Baton knows you now: your Slack account is linked to your Baton user by its email."
    " Please do that again."
)


@dataclass(frozen=True)
class _Queued:
    job: Job
    body: dict[str, Any]
    client: AsyncWebClient
    at: float  # when it was queued (the event loop's clock)


class Lanes:
    """The thread pools and the after-ack queue of one Slack app (one per process)."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        ack_threads: int = ACK_THREADS,
        after_ack_threads: int = AFTER_ACK_THREADS,
        in_flight: int = IN_FLIGHT,
        backlog: int = BACKLOG,
        max_defer: float = MAX_DEFER,
    ) -> None:
        self.runtime = runtime
        self._ack_pool = ThreadPoolExecutor(ack_threads, thread_name_prefix="baton-slack-ack")
        self._after_pool = ThreadPoolExecutor(
            after_ack_threads, thread_name_prefix="baton-slack-after-ack"
        )
        self._in_flight = in_flight
        self._backlog = backlog
        self._max_defer = max_defer
        self._queue: deque[_Queued] = deque()
        # Callers waiting for room in the queue, first come first served: a late caller never
        # overtakes one already waiting (asyncio.Queue lets it, and the tail latency shows).
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._reserved = 0  # room handed to a waiting caller that has not taken it yet
        self._unfinished = 0
        self._idle = asyncio.Event()
        self._idle.set()
        # Requests on their way to their 200 (see `acking`): no job starts meanwhile, unless
        # the backlog is full (then the work must go on for the requests waiting for room).
        self._acking = 0
        self._may_start = asyncio.Event()
        self._may_start.set()
        # Workers run while there is work and stop when the queue is empty (none lingers).
        self._working = 0
        self._workers: set[asyncio.Task[None]] = set()  # the running tasks, kept referenced

    @contextmanager
    def acking(self) -> Iterator[None]:
        """Around a request, up to its 200: no queued job starts while one is in progress (the
        backlog full aside), so a burst of requests is answered before the work it leaves
        competes with it for the interpreter and the database."""
        self._ack_started()
        token = _ACKING.set(True)
        try:
            yield
        finally:
            _ACKING.reset(token)
            self._ack_ended()

    def _ack_started(self) -> None:
        self._acking += 1
        self._gate()

    def _ack_ended(self) -> None:
        self._acking -= 1
        self._gate()

    def _gate(self) -> None:
        if self._acking and not self._waiting:
            self._may_start.clear()
        else:
            self._may_start.set()

    async def before_ack(self, work: Callable[[Session], T], *, read_only: bool = False) -> T:
        """Database work that Slack's 200 must wait for, in one transaction on the ack lane."""
        with pool(self._ack_pool):
            return await in_transaction(self.runtime, work, read_only=read_only)

    async def after_ack(self, job: Job, *, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Queue `job` to run after the ack (its refusals go to the person whose request `body`
        is). Returns at once, unless the backlog is full: then once there is room."""
        if self._waiting or len(self._queue) + self._reserved >= self._backlog:
            await self._wait_for_room()
        self._queue.append(_Queued(job, body, client, asyncio.get_running_loop().time()))
        self._unfinished += 1
        self._idle.clear()
        if self._working < self._in_flight:
            self._working += 1
            worker = asyncio.create_task(self._work(), name=TASK_NAME)
            self._workers.add(worker)
            worker.add_done_callback(self._workers.discard)

    async def _wait_for_room(self) -> None:
        room = asyncio.get_running_loop().create_future()
        self._waiting.append(room)
        self._gate()
        acking = _ACKING.get()
        if acking:  # a request waiting here must not hold the work up: it waits for that work
            self._ack_ended()
        try:
            await room
        except asyncio.CancelledError:
            if room in self._waiting:
                self._waiting.remove(room)
                self._gate()
            else:  # cancelled just after being handed the room: pass it on
                self._reserved -= 1
                self._make_room()
            raise
        finally:
            if acking:
                self._ack_started()
        self._reserved -= 1

    def _make_room(self) -> None:
        """Hand the room a job left to the longest-waiting caller, if any."""
        while self._waiting and len(self._queue) + self._reserved < self._backlog:
            room = self._waiting.popleft()
            if not room.done():
                self._reserved += 1
                room.set_result(None)
        self._gate()

    async def explain(
        self, error: BatonError, *, body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Queue the explanation of a refusal that happened before the ack."""

        async def refused() -> None:
            if isinstance(error, UnknownSlackUser) and await ensure_linked(
                client, self.runtime, error.slack_user_id
            ):
                await say(client, body, LINKED_NOW)
            else:
                await tell(client, body, error)

        await self.after_ack(refused, body=body, client=client)

    async def drain(self) -> None:
        """Wait until every queued job has finished (tests; a graceful stop)."""
        await self._idle.wait()

    async def _work(self) -> None:
        try:
            with pool(self._after_pool):
                while self._queue:
                    await self._acks_first(self._queue[0].at)
                    if not self._queue:  # another worker took the last job meanwhile
                        break
                    queued = self._queue.popleft()
                    self._make_room()
                    try:
                        await self._attempt(queued.job, queued.body, queued.client)
                    finally:
                        self._unfinished -= 1
                        if not self._unfinished:
                            self._idle.set()
        finally:
            self._working -= 1  # at once: a job queued from now on starts a worker

    async def _acks_first(self, queued_at: float) -> None:
        """Wait while requests are on their way to their 200, but not longer than `max_defer`
        since the job was queued: one slow request (a message's turn waiting for a lock) must
        not hold up every modal, whose trigger id lives 3 s."""
        waited = asyncio.get_running_loop().time() - queued_at
        with suppress(TimeoutError):
            await asyncio.wait_for(self._may_start.wait(), max(0.0, self._max_defer - waited))

    async def _attempt(self, job: Job, body: dict[str, Any], client: AsyncWebClient) -> None:
        try:
            try:
                await job()
            except UnknownSlackUser as error:
                # A stranger costs this; a known user costs nothing (no lookup before each job).
                if not (
                    error.linkable
                    and await link_by_email(client, self.runtime, error.slack_user_id)
                ):
                    raise
                await job()
        except BatonError as error:
            await self._quietly(tell(client, body, error))
        except SQLAlchemyError as error:
            log.error("Slack listener failed: %s", type(error).__name__, exc_info=error)
            await self._quietly(say(client, body, DATABASE_UNAVAILABLE))
        except Exception as error:
            log.error("Slack listener failed: %s", type(error).__name__, exc_info=error)

    @staticmethod
    async def _quietly(telling: Awaitable[None]) -> None:
        """Tell the person something; Slack failing us then is logged, not raised."""
        try:
            await telling
        except Exception as failure:
            log.error("Slack listener failed: %s", type(failure).__name__, exc_info=failure)
