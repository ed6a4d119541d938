"""Time from a signed Slack request (slash command, button) to Slack's HTTP 200, under
concurrent load: `baton serve` with Slack on, beside a bolt app that only acks."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp

from bench.chat import Result, summarise
from bench.load import Window, closed_loop
from bench.report import Figure, out
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


def _request(n: int) -> str:
    """Alternately `/qualify <someone>` and an Approve click on a handoff request."""
    user = f"U{n % 500:05d}"
    if n % 2 == 0:
        return command_body(user, f"lead{n}@acme.example.com")
    return interaction_body(block_action(user, "handoff_approve", str(100_000 + n)))


async def _drive(url: str, concurrency: int, warmup: float, duration: float) -> Window:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def visit(n: int, window: Window) -> None:
            body = _request(n)
            ts = str(int(time.time()))
            headers = {
                "Content-Type": FORM,
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": signature(SECRET, ts, body),
            }
            began = time.perf_counter()
            async with http.post(f"{url}/slack/events", data=body, headers=headers) as answer:
                await answer.read()
                status = answer.status
            ended = time.perf_counter()
            if window.open(ended):
                if status == 200:
                    window.latencies.append(ended - began)
                else:
                    window.error(f"HTTP {status}")

        return await closed_loop(visit, concurrency=concurrency, warmup=warmup, duration=duration)


def _measure(
    argv: list[str], port: int, env: dict[str, str], log: Path, load: tuple[int, float, float]
) -> Result:
    with run_server(argv, port=port, env=env, log=log) as server:
        return summarise(asyncio.run(_drive(server.url, *load)))


def compare(concurrency: int, warmup: float, duration: float, tmp: Path) -> list[Figure]:
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
            f" {warmup:.0f} s warm-up + {duration:.0f} s measured"
        )
        port = free_port()
        argv = uvicorn_argv("bench.slack_baseline_app:create", port, 1)
        base = _measure(argv, port, env, tmp / "slack-baseline.log", load)
        out(base.line("baseline (bolt app that only acks)", "requests"))
        port = free_port()
        baton = _measure(baton_argv(port, 1), port, env, tmp / "slack-baton.log", load)
        out(baton.line("Baton", "requests"))
        out(f"  fake Slack Web API calls made: {len(fake.calls)}")
    finally:
        fake.stop()
    return [
        Figure(
            name="Slack ack p99 (50 concurrent)",
            value=f"{baton.p99_ms:.1f} ms, p50 {baton.p50_ms:.1f} ms, {baton.rate:.0f} req/s"
            f" (baseline p99 {base.p99_ms:.1f} ms, {base.rate:.0f} req/s)",
            goal="p99 <= 100 ms",
            ratio=baton.p99_ms / base.p99_ms if base.p99_ms else None,
            met=baton.p99_ms <= 100 and not baton.errors,
            note=f"errors: {baton.errors}" if baton.errors else "",
        )
    ]
