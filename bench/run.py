"""`python -m bench {chat,slack,widget,memory,bulk,all}`: run benchmarks, print a table.

Every benchmark starts real servers on loopback and measures Baton and its baseline in the same
run on the same machine. Figures go to stdout; `--markdown FILE` also writes the table there.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.report import Figure, out, table

BENCHMARKS = ("chat", "slack", "widget", "memory", "bulk")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("benchmark", choices=(*BENCHMARKS, "all"))
    p.add_argument("--concurrency", type=int, default=50, help="concurrent clients (50)")
    p.add_argument("--warmup", type=float, default=5.0, help="warm-up seconds (5)")
    p.add_argument("--duration", type=float, default=20.0, help="measured seconds (20)")
    p.add_argument(
        "--postgres",
        metavar="URL",
        help="also run the chat turn on PostgreSQL: a server URL with a database to connect to"
        " (e.g. postgresql://postgres@127.0.0.1:5432/postgres); scratch databases are created"
        " on that server and dropped afterwards",
    )
    p.add_argument("--pg-workers", type=int, default=2, help="workers on PostgreSQL (2)")
    p.add_argument("--conversations", type=int, default=10_000, help="memory: open chats")
    p.add_argument("--leads", type=int, default=10_000, help="bulk: leads to import")
    p.add_argument("--events", type=int, default=100_000, help="bulk: behaviour events")
    p.add_argument("--browser-runs", type=int, default=10, help="widget: launcher clicks")
    p.add_argument("--markdown", type=Path, help="also write the results table to this file")
    return p


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem_kib / 1024 / 1024:.1f} GiB RAM,"
        f" Python {platform.python_version()}, {platform.system()} {platform.release()},"
        f" {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def _chat(args: argparse.Namespace, tmp: Path) -> list[Figure]:
    from bench import chat, postgres

    load = chat.Load(args.concurrency, args.warmup, args.duration)
    figures = chat.compare(
        label="SQLite",
        baton_url=f"sqlite:///{tmp}/chat-baton.db",
        baseline_url=f"sqlite:///{tmp}/chat-baseline.db",
        workers=1,
        load=load,
        tmp=tmp,
        min_ratio=1.0,
        max_p99_ms=100.0,
    )
    if args.postgres:
        with (
            postgres.scratch(args.postgres, "baton_bench_app") as baton_url,
            postgres.scratch(args.postgres, "baton_bench_base") as baseline_url,
        ):
            figures += chat.compare(
                label="PostgreSQL",
                baton_url=baton_url,
                baseline_url=baseline_url,
                workers=args.pg_workers,
                load=load,
                tmp=tmp,
                min_ratio=0.9,
                max_p99_ms=None,
            )
    return figures


def _slack(args: argparse.Namespace, tmp: Path) -> list[Figure]:
    from bench import slack

    return slack.compare(args.concurrency, args.warmup, args.duration, tmp)


def _widget(args: argparse.Namespace, tmp: Path) -> list[Figure]:
    from bench import widget

    return widget.measure(tmp, runs=args.browser_runs)


def _memory(args: argparse.Namespace, tmp: Path) -> list[Figure]:
    from bench import memory

    return memory.measure(tmp, conversations=args.conversations, concurrency=args.concurrency)


def _bulk(args: argparse.Namespace, tmp: Path) -> list[Figure]:
    from bench import bulk

    return bulk.measure(tmp, leads=args.leads, events=args.events)


RUNNERS: dict[str, Callable[[argparse.Namespace, Path], list[Figure]]] = {
    "chat": _chat,
    "slack": _slack,
    "widget": _widget,
    "memory": _memory,
    "bulk": _bulk,
}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    chosen = BENCHMARKS if args.benchmark == "all" else (args.benchmark,)
    out(f"machine: {machine()}")
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as scratch:
        for name in chosen:
            out(f"\n== {name} ==")
            workdir = Path(scratch) / name
            workdir.mkdir()
            figures += RUNNERS[name](args, workdir)
    result = table(figures)
    out("\n" + result)
    if args.markdown:
        args.markdown.write_text(f"Machine: {machine()}\n\n{result}\n")
    return 0
