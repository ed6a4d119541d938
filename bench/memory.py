"""RSS of `baton serve` (one worker) with no conversations, then with many open ones."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bench.load import session_for
from bench.report import Figure, out
from bench.servers import baton_argv, free_port, rss_kib, run_server

WARM = 200  # conversations opened before the "warmed-up" reading


async def _open(url: str, first: int, count: int, concurrency: int) -> int:
    """Open `count` widget conversations (a session each); return failures."""
    failures = 0
    numbers = iter(range(first, first + count))

    async def worker() -> None:
        nonlocal failures
        for n in numbers:
            async with session_for(n) as http:
                async with http.post(f"{url}/widget/demo/session", json={}) as answer:
                    await answer.read()
                    failures += answer.status != 200

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return failures


def measure(tmp: Path, *, conversations: int, concurrency: int) -> list[Figure]:
    port = free_port()
    env = {"BATON_DATABASE_URL": f"sqlite:///{tmp}/memory.db"}
    with run_server(baton_argv(port, 1), port=port, env=env, log=tmp / "baton.log") as server:
        time.sleep(1)
        idle = rss_kib(server.pid)
        failures = asyncio.run(_open(server.url, 0, WARM, concurrency))
        warm = rss_kib(server.pid)
        began = time.perf_counter()
        failures += asyncio.run(_open(server.url, WARM, conversations - WARM, concurrency))
        took = time.perf_counter() - began
        time.sleep(1)
        full = rss_kib(server.pid)
    growth = (full - idle) / 1024
    out(
        f"RSS: {idle / 1024:.1f} MiB with no conversations, {warm / 1024:.1f} MiB after"
        f" {WARM}, {full / 1024:.1f} MiB with {conversations} open"
        f" (opened at {(conversations - WARM) / took:.0f}/s, {failures} failures)"
    )
    return [
        Figure(
            name=f"memory growth, {conversations} open conversations",
            value=f"+{growth:.1f} MiB ({idle / 1024:.0f} -> {full / 1024:.0f} MiB;"
            f" +{(full - warm) / 1024:.1f} MiB after the first {WARM})",
            goal="<= 20 MB",
            met=growth <= 20 and failures == 0,
            note=f"{failures} conversations failed to open" if failures else "",
        )
    ]
