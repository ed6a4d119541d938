"""Time from a signed Slack request (slash command, button) to Slack's HTTP 200, under
concurrent load: `baton serve` with Slack on, beside a bolt app that only acks.

Three measurements, each on a fresh server:

- closed loop: `concurrency` clients send request after request for the whole window. Every
  request also leaves work for after its ack (a database transaction and a Web API call to the
  fake Slack), so once the after-ack backlog is full Baton acks only as fast as that work gets
  done (bot.slack.lanes pushes back) and the latency is concurrency / throughput;
- bursts: `concurrency` requests at once, then nothing until their work is done, repeated:
  what the acks cost when 50 requests arrive together at a process that is not already
  saturated, and how long until the work after them reached Slack;
- DM messages, in bursts (bench.slack_messages): answers Baton commits before the 200.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.chat import Result, summarise
from bench.load import Window, closed_loop
from bench.report import Figure, out, percentile
from bench.servers import baton_argv, free_port, run_server, uvicorn_argv
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.signing import (
    FORM,
    SECRET,
    block_action,
    command_body,
    interaction_body,
    signature,
)

BOT_TOKEN = "xoxb-bench"
BASELINE = "bench.slack_baseline_app:create"
ROUNDS = 20  # measured bursts per server
WARM_ROUNDS = 2
# The fake Slack must have seen a burst's Web API calls by then, or the run fails.
WORK_DEADLINE_SECONDS = 60.0


def _request(n: int) -> str:
    """Alternately `/qualify <someone>` and an Approve click on a handoff request."""
    user = f"U{n % 500:05d}"
    if n % 2 == 0:
        return command_body(user, f"lead{n}@acme.example.com")
    return interaction_body(block_action(user, "handoff_approve", str(100_000 + n)))


def signed_headers(body: str, content_type: str) -> dict[str, str]:
    ts = str(int(time.time()))
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature(SECRET, ts, body),
    }


async def post(http: aiohttp.ClientSession, url: str, body: str, content_type: str) -> int:
    async with http.post(
        f"{url}/slack/events", data=body, headers=signed_headers(body, content_type)
    ) as answer:
        await answer.read()
        return answer.status


async def _drive(url: str, concurrency: int, warmup: float, duration: float) -> Window:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def visit(n: int, window: Window) -> None:
            began = time.perf_counter()
            status = await post(http, url, _request(n), FORM)
            ended = time.perf_counter()
            if window.open(ended):
                if status == 200:
                    window.latencies.append(ended - began)
                else:
                    window.error(f"HTTP {status}")

        return await closed_loop(visit, concurrency=concurrency, warmup=warmup, duration=duration)


@dataclass
class Bursts:
    """Every measured request's time to its 200, and per burst the time from its start until
    the last Web API call its work makes reached the fake Slack (seconds)."""

    acks: list[float] = field(default_factory=list)
    done: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def line(self, label: str) -> str:
        acks = [s * 1000 for s in self.acks]
        text = (
            f"  {label}: ack p50 {percentile(acks, 50):.1f} ms, p99 {percentile(acks, 99):.1f} ms,"
            f" max {max(acks, default=0):.1f} ms ({len(acks)} requests)"
        )
        if self.done:
            done = [s * 1000 for s in self.done]
            text += (
                f"; a burst's work done after median {percentile(done, 50):.0f} ms,"
                f" max {max(done):.0f} ms"
            )
        return text + (f", errors {self.errors}" if self.errors else "")


async def bursts(
    url: str,
    fake: FakeSlack,
    *,
    size: int,
    rounds: int,
    make: Callable[[int], tuple[str, str]],
    calls_each: int,
) -> Bursts:
    """`rounds` bursts of `size` requests (`make(n)` gives request n's body and content type);
    with `calls_each`, wait after each burst until its work has made that many Web API calls
    per request."""
    result = Bursts()
    numbers = itertools.count()
    # Idle between bursts, a connection is closed by us before the server's keep-alive timeout
    # (uvicorn's 5 s) can close it under a request.
    connector = aiohttp.TCPConnector(limit=size, keepalive_timeout=2)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one(n: int) -> tuple[int, float]:
            body, content_type = make(n)
            began = time.perf_counter()
            status = await post(http, url, body, content_type)
            return status, time.perf_counter() - began

        for round_ in range(WARM_ROUNDS + rounds):
            before = len(fake.calls)
            began = time.perf_counter()
            answers = await asyncio.gather(*(one(next(numbers)) for _ in range(size)))
            if calls_each:
                await _calls(fake, before + size * calls_each)
            if round_ < WARM_ROUNDS:
                continue
            for status, seconds in answers:
                if status == 200:
                    result.acks.append(seconds)
                else:
                    result.errors[f"HTTP {status}"] = result.errors.get(f"HTTP {status}", 0) + 1
            if calls_each:
                result.done.append(max(call.at for call in fake.calls[before:]) - began)
    return result


async def _calls(fake: FakeSlack, count: int) -> None:
    deadline = time.perf_counter() + WORK_DEADLINE_SECONDS
    while len(fake.calls) < count:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the fake Slack got {len(fake.calls)} calls, not {count}")
        await asyncio.sleep(0.005)


def _command_or_click(n: int) -> tuple[str, str]:
    return _request(n), FORM


def _measure(
    argv: list[str], port: int, env: dict[str, str], log: Path, load: tuple[int, float, float]
) -> Result:
    with run_server(argv, port=port, env=env, log=log) as server:
        return summarise(asyncio.run(_drive(server.url, *load)))


def _measure_bursts(
    argv: list[str],
    port: int,
    env: dict[str, str],
    log: Path,
    fake: FakeSlack,
    *,
    size: int,
    calls_each: int,
) -> Bursts:
    with run_server(argv, port=port, env=env, log=log) as server:
        return asyncio.run(
            bursts(
                server.url,
                fake,
                size=size,
                rounds=ROUNDS,
                make=_command_or_click,
                calls_each=calls_each,
            )
        )


def compare(concurrency: int, warmup: float, duration: float, tmp: Path) -> list[Figure]:
    from bench import slack_messages

    fake = FakeSlack()
    fake.start()
    try:
        env = {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "BATON_SLACK_API_URL": fake.url,
            "BATON_DATABASE_URL": f"sqlite:///{tmp}/slack-baton.db",
        }
        load = (concurrency, warmup, duration)
        out(
            f"Slack ack, {concurrency} concurrent signed requests (half /qualify, half button),"
            f" closed loop: {warmup:.0f} s warm-up + {duration:.0f} s measured"
        )
        port = free_port()
        argv = uvicorn_argv(BASELINE, port, 1)
        base = _measure(argv, port, env, tmp / "slack-baseline.log", load)
        out(base.line("baseline (bolt app that only acks)", "requests"))
        port = free_port()
        baton = _measure(baton_argv(port, 1), port, env, tmp / "slack-baton.log", load)
        out(baton.line("Baton", "requests"))
        out(f"  fake Slack Web API calls made: {len(fake.calls)}")

        out(f"Slack ack, bursts of {concurrency} requests at once ({ROUNDS} measured)")
        port = free_port()
        argv = uvicorn_argv(BASELINE, port, 1)
        log = tmp / "slack-baseline-bursts.log"
        base_bursts = _measure_bursts(argv, port, env, log, fake, size=concurrency, calls_each=0)
        out(base_bursts.line("baseline"))
        port = free_port()
        env["BATON_DATABASE_URL"] = f"sqlite:///{tmp}/slack-baton-bursts.db"
        log = tmp / "slack-baton-bursts.log"
        # Each request (a stranger's, as in the closed loop) is refused after its ack with one
        # ephemeral message: the burst's work is done when Slack has them all.
        baton_bursts = _measure_bursts(
            baton_argv(port, 1), port, env, log, fake, size=concurrency, calls_each=1
        )
        out(baton_bursts.line("Baton"))

        env["BATON_DATABASE_URL"] = f"sqlite:///{tmp}/slack-baton-messages.db"
        messages = slack_messages.measure(env, fake, tmp, size=concurrency)
    finally:
        fake.stop()
    burst_p99 = percentile([s * 1000 for s in baton_bursts.acks], 99)
    base_burst_p99 = percentile([s * 1000 for s in base_bursts.acks], 99)
    done = [s * 1000 for s in baton_bursts.done]
    message_acks = [s * 1000 for s in messages.acks]
    return [
        Figure(
            name=f"Slack ack p99 ({concurrency} concurrent, closed loop)",
            value=f"{baton.p99_ms:.1f} ms, p50 {baton.p50_ms:.1f} ms, {baton.rate:.0f} req/s"
            f" (baseline p99 {base.p99_ms:.1f} ms, {base.rate:.0f} req/s)",
            goal="p99 <= 100 ms",
            ratio=baton.p99_ms / base.p99_ms if base.p99_ms else None,
            met=baton.p99_ms <= 100 and not baton.errors,
            note=f"errors: {baton.errors}" if baton.errors else "",
        ),
        Figure(
            name=f"Slack ack p99 (bursts of {concurrency})",
            value=f"{burst_p99:.1f} ms (baseline {base_burst_p99:.1f} ms); work done"
            f" {percentile(done, 50):.0f} ms median, {max(done, default=0):.0f} ms max",
            goal="p99 <= 100 ms",
            ratio=burst_p99 / base_burst_p99 if base_burst_p99 else None,
            met=burst_p99 <= 100 and not baton_bursts.errors,
            note=f"errors: {baton_bursts.errors}" if baton_bursts.errors else "",
        ),
        Figure(
            name=f"Slack DM answer ack p99 (bursts of {concurrency}, SQLite)",
            value=f"{percentile(message_acks, 99):.1f} ms, p50"
            f" {percentile(message_acks, 50):.1f} ms (committed before the 200)",
            note=f"errors: {messages.errors}" if messages.errors else "",
        ),
    ]
