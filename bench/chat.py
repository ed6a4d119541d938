"""Chat turns through the widget's HTTP API of `baton serve`, beside the baseline endpoint."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench.baseline_app import ROWS, prepare
from bench.load import Window, closed_loop, session_for, timed_post
from bench.report import Figure, out, percentile
from bench.servers import baton_argv, free_port, run_server, uvicorn_argv

# The shipped BANT flow, one answer a step (name, email, company, need, budget, authority,
# timeline, team size, current tool): every turn is parsed, scored and stored.
ANSWERS = [
    "Jane Doe",
    "{email}",
    "Acme",
    "Our reps waste hours on manual data entry",
    "about 50k a year",
    "I'm the VP of Sales and I sign off",
    "this quarter",
    "250",
    "2",
]


@dataclass
class Load:
    concurrency: int
    warmup: float
    duration: float


@dataclass
class Result:
    rate: float
    p50_ms: float
    p99_ms: float
    requests: int
    other: int
    errors: dict[str, int]

    def line(self, label: str, unit: str) -> str:
        errors = f", errors {self.errors}" if self.errors else ""
        return (
            f"  {label}: {self.rate:.0f} {unit}/s, p50 {self.p50_ms:.1f} ms,"
            f" p99 {self.p99_ms:.1f} ms ({self.requests} measured{errors})"
        )


def summarise(window: Window) -> Result:
    ms = [s * 1000 for s in window.latencies]
    return Result(
        rate=window.rate,
        p50_ms=percentile(ms, 50),
        p99_ms=percentile(ms, 99),
        requests=len(ms),
        other=window.other,
        errors=window.errors,
    )


async def _conversations(url: str, load: Load, run: str) -> Window:
    async def visit(n: int, window: Window) -> None:
        async with session_for(n) as http:
            status, body = await timed_post(
                http, f"{url}/widget/demo/session", window, count=False, json={}
            )
            if status != 200:
                window.error(f"session HTTP {status}")
                await asyncio.sleep(0.05)
                return
            opened = json.loads(body)
            token, version = opened["token"], opened["prompt"]["version"]
            for answer in ANSWERS:
                if time.perf_counter() >= window.end:
                    return
                text = answer.format(email=f"v{n}.{run}@acme{n % 97}.example.com")
                status, body = await timed_post(
                    http,
                    f"{url}/widget/demo/turn",
                    window,
                    json={
                        "token": token,
                        "turn_id": uuid.uuid4().hex,
                        "text": text,
                        "expected_version": version,
                    },
                )
                if status != 200:
                    return
                version = json.loads(body)["prompt"]["version"]

    return await closed_loop(
        visit, concurrency=load.concurrency, warmup=load.warmup, duration=load.duration
    )


async def _baseline(url: str, load: Load) -> Window:
    async def visit(n: int, window: Window) -> None:
        # The same shape of traffic: one visitor, one connection, a conversation of requests.
        async with session_for(n) as http:
            for answer in ANSWERS:
                if time.perf_counter() >= window.end:
                    return
                key = f"k{(n * 7919) % ROWS}"
                await timed_post(http, f"{url}/turn/{key}", window, json={"text": answer})

    return await closed_loop(
        visit, concurrency=load.concurrency, warmup=load.warmup, duration=load.duration
    )


def measure_baton(database_url: str, workers: int, load: Load, tmp: Path) -> Result:
    port = free_port()
    env = {"BATON_DATABASE_URL": database_url}
    with run_server(
        baton_argv(port, workers), port=port, env=env, log=tmp / f"baton-{port}.log"
    ) as server:
        window = asyncio.run(_conversations(server.url, load, uuid.uuid4().hex[:8]))
    return summarise(window)


def measure_baseline(database_url: str, workers: int, load: Load, tmp: Path) -> Result:
    prepare(database_url)
    port = free_port()
    env = {"BENCH_BASELINE_DATABASE_URL": database_url}
    argv = uvicorn_argv("bench.baseline_app:served", port, workers)
    with run_server(argv, port=port, env=env, log=tmp / f"baseline-{port}.log") as server:
        window = asyncio.run(_baseline(server.url, load))
    return summarise(window)


def compare(
    *,
    label: str,
    baton_url: str,
    baseline_url: str,
    workers: int,
    load: Load,
    tmp: Path,
    min_ratio: float,
    max_p99_ms: float | None,
) -> list[Figure]:
    out(
        f"chat turn on {label}, {workers} worker(s), {load.concurrency} concurrent visitors,"
        f" {load.warmup:.0f} s warm-up + {load.duration:.0f} s measured"
    )
    base = measure_baseline(baseline_url, workers, load, tmp)
    out(base.line("baseline (SELECT + UPDATE + INSERT)", "requests"))
    baton = measure_baton(baton_url, workers, load, tmp)
    out(baton.line("Baton widget turns", "turns"))
    ratio = baton.rate / base.rate if base.rate else 0.0
    figures = [
        Figure(
            name=f"chat turns/s ({label}, {workers} worker(s))",
            value=f"{baton.rate:.0f} turns/s vs baseline {base.rate:.0f} req/s",
            goal=f"ratio >= {min_ratio}",
            ratio=ratio,
            met=ratio >= min_ratio and not baton.errors,
            note=(f"errors: {baton.errors}" if baton.errors else ""),
        ),
        Figure(
            name=f"chat turn p50 / p99 ({label})",
            value=f"{baton.p50_ms:.1f} / {baton.p99_ms:.1f} ms"
            f" (baseline {base.p50_ms:.1f} / {base.p99_ms:.1f} ms)",
            goal="" if max_p99_ms is None else f"p99 <= {max_p99_ms:.0f} ms",
            ratio=baton.p99_ms / base.p99_ms if base.p99_ms else None,
            met=None if max_p99_ms is None else baton.p99_ms <= max_p99_ms,
        ),
    ]
    return figures
