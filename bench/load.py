"""A closed-loop load generator: N virtual clients, a warm-up, then a measured window."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp


@dataclass
class Window:
    """Latencies of requests that ended inside the measured window, and failures."""

    start: float = 0.0
    end: float = 0.0
    latencies: list[float] = field(default_factory=list)
    other: int = 0  # requests of another kind (not counted as the figure's unit)
    errors: dict[str, int] = field(default_factory=dict)

    def open(self, now: float) -> bool:
        return self.start <= now < self.end

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds


def client_address(n: int) -> str:
    """A distinct loopback source address per visitor (127.0.0.0/8), as real visitors have."""
    rest, last = divmod(n, 254)
    return f"127.{1 + (rest // 256) % 250}.{rest % 256}.{1 + last}"


def session_for(n: int) -> aiohttp.ClientSession:
    """One visitor's HTTP client: its own connection from its own address."""
    connector = aiohttp.TCPConnector(limit=1, local_addr=(client_address(n), 0))
    return aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30))


Visit = Callable[[int, Window], Awaitable[None]]


async def closed_loop(visit: Visit, *, concurrency: int, warmup: float, duration: float) -> Window:
    """Run `visit(n, window)` in `concurrency` loops (n counts up) until the window closes."""
    now = time.perf_counter()
    window = Window(start=now + warmup, end=now + warmup + duration)
    counter = iter(range(10**9))

    async def loop() -> None:
        while time.perf_counter() < window.end:
            await visit(next(counter), window)

    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return window


async def timed_post(
    http: aiohttp.ClientSession, url: str, window: Window, *, count: bool = True, **kwargs: object
) -> tuple[int, bytes]:
    """POST; record the latency if it ended in the window (`count`) or count it as other."""
    began = time.perf_counter()
    async with http.post(url, **kwargs) as answer:  # type: ignore[arg-type]
        body = await answer.read()
        status = answer.status
    ended = time.perf_counter()
    if window.open(ended):
        if status != 200:
            window.error(f"HTTP {status}")
        elif count:
            window.latencies.append(ended - began)
        else:
            window.other += 1
    return status, body
