"""Wakes this process's open widget streams when their conversation has a new message.

A message may be written by any process (a widget turn on another worker, a Slack event, the
expiry job), so the hub asks the database, not an in-process queue: every `interval` seconds
one query reads the latest seq of each conversation that has an open stream here, and the
streams behind it are woken. Nothing is polled while no stream is open.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from storage.live_chats import latest_seqs

log = logging.getLogger("baton.widget.live")

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass(eq=False)
class Watch:
    """One open stream's interest in a conversation; `cursor` is the last seq it has sent."""

    conversation_id: int
    cursor: int
    event: asyncio.Event = field(default_factory=asyncio.Event)

    async def wait(self, timeout: float) -> bool:
        """Until woken (True) or `timeout` seconds pass (False)."""
        try:
            await asyncio.wait_for(self.event.wait(), timeout=timeout)
        except TimeoutError:
            return False
        self.event.clear()
        return True


class LiveHub:
    """The per-process registry of open streams and the loop that polls for them."""

    def __init__(
        self, *, session: Callable[[], Session], interval: float, max_streams: int = 1000
    ) -> None:
        self._session = session
        self.interval = interval
        self.max_streams = max_streams
        self._watches: dict[int, set[Watch]] = {}
        self._count = 0
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        self._wake_loop: asyncio.Event | None = None

    @property
    def closing(self) -> bool:
        return self._closing

    @property
    def accepting(self) -> bool:
        """Running, not shutting down, and below its stream limit."""
        running = self._task is not None and not self._task.done()
        return running and not self._closing and self._count < self.max_streams

    @contextmanager
    def watch(self, conversation_id: int, cursor: int) -> Iterator[Watch]:
        """Register a stream for the time of the `with` block."""
        watch = Watch(conversation_id=conversation_id, cursor=cursor)
        self._watches.setdefault(conversation_id, set()).add(watch)
        self._count += 1
        try:
            yield watch
        finally:
            self._count -= 1
            watches = self._watches.get(conversation_id)
            if watches is not None:
                watches.discard(watch)
                if not watches:
                    del self._watches[conversation_id]

    def _latest(self, conversation_ids: list[int]) -> dict[int, int]:
        with self._session() as session:
            seqs = latest_seqs(session=session, conversation_ids=conversation_ids)
            session.rollback()
        return seqs

    async def poll(self) -> None:
        """One round: read the latest seqs and wake every stream that is behind."""
        conversation_ids = list(self._watches)
        if not conversation_ids:
            return
        try:
            seqs = await asyncio.to_thread(self._latest, conversation_ids)
        except SQLAlchemyError as exc:
            # The streams stay open and are woken when the database answers again.
            log.warning("live chat poll failed: %s", type(exc).__name__)
            return
        for conversation_id, seq in seqs.items():
            for watch in self._watches.get(conversation_id, ()):
                if seq > watch.cursor:
                    watch.event.set()

    async def _run(self) -> None:
        assert self._wake_loop is not None
        while not self._closing:
            try:
                await asyncio.wait_for(self._wake_loop.wait(), timeout=self.interval)
            except TimeoutError:
                pass
            if not self._closing:
                await self.poll()

    def close(self) -> None:
        """End every open stream now (they send what they have and finish); accept no more."""
        self._closing = True
        if self._wake_loop is not None:
            self._wake_loop.set()
        for watches in self._watches.values():
            for watch in watches:
                watch.event.set()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[LiveHub]:
        """Poll while the app runs (its lifespan); on the way out close the streams."""
        self._closing = False
        self._wake_loop = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name="widget-live-hub")
        restore = self._hear_stop_signals(asyncio.get_running_loop())
        try:
            yield self
        finally:
            restore()
            self.close()
            await self._task

    def _hear_stop_signals(self, loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
        """uvicorn waits for open responses to finish before it runs the lifespan's shutdown,
        and a stream lasts minutes: so when the server that installed the stop handlers is told
        to stop, close the streams first and then let its handler run as before."""
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        installed: dict[int, tuple[Any, Any]] = {}
        for signum in STOP_SIGNALS:
            previous = signal.getsignal(signum)
            if not callable(previous) or previous is signal.default_int_handler:
                continue  # nobody serves with a graceful stop here: leave the signal alone

            def handler(number: int, frame: FrameType | None, previous: Any = previous) -> None:
                loop.call_soon_threadsafe(self.close)
                previous(number, frame)

            signal.signal(signum, handler)
            installed[signum] = (previous, handler)

        def restore() -> None:
            for number, (previous, handler) in installed.items():
                if signal.getsignal(number) is handler:
                    signal.signal(number, previous)

        return restore
