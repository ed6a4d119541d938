"""DM messages to the app in bursts: `size` SDRs each qualify a lead in a DM thread at once.

Baton commits what a message says before Slack gets its 200 (the conversation it starts, or
the answer with the engine's turn), so these acks include a write transaction each, which on
SQLite take turns at the one writer; the reply is posted after the 200. The first burst starts
the conversations, each later one answers the next question in every thread.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path
from typing import Any

from sqlmodel import Session

from bench.report import out
from bench.servers import baton_argv, free_port, run_server
from bench.slack import WARM_ROUNDS, Bursts, bursts
from storage.db import open_database
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.signing import JSON, TEAM, event_body
from tests.factories import make_lead, make_user

# What each SDR types: the start, then one answer per question of the shipped flow.
TYPED = [
    "qualify {email}",
    "our reps spend hours on manual data entry",
    "about $30k a year",
    "I'm the VP of Sales and I sign off",
    "next month",
    "a spreadsheet",
]


def _seed(database_url: str, size: int) -> None:
    """`size` SDRs with Slack accounts, and a lead for each to qualify."""
    engine = open_database(database_url, auto_upgrade=True)
    try:
        with Session(engine) as session:
            for k in range(size):
                make_user(session, slack_user_id=_sdr(k), name=f"Sdr {k}")
                make_lead(session, email=_email(k), name=f"Prospect {k}", company_name="Acme")
    finally:
        engine.dispose()


def _sdr(k: int) -> str:
    return f"USDR{k:04d}"


def _email(k: int) -> str:
    return f"prospect{k}@bench.example.com"


class Threads:
    """The messages of every SDR's DM: a start, then answers in the thread it opened."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.roots: dict[int, str] = {}
        self.ids = itertools.count(1)

    def message(self, n: int) -> tuple[str, str]:
        k, step = n % self.size, n // self.size
        ts = f"1700000000.{next(self.ids):06d}"
        event: dict[str, Any] = {
            "type": "message",
            "channel": f"D{k:05d}",
            "channel_type": "im",
            "user": _sdr(k),
            "text": TYPED[step % len(TYPED)].format(email=_email(k)),
            "ts": ts,
            "event_ts": ts,
            "client_msg_id": f"bench-{n}",
            "team": TEAM["id"],
        }
        if step % len(TYPED) == 0:
            self.roots[k] = ts  # a new thread under the start
        else:
            event.update(thread_ts=self.roots[k], parent_user_id=_sdr(k))
        return event_body(f"EvBench{n:08d}", event), JSON


def measure(env: dict[str, str], fake: FakeSlack, tmp: Path, *, size: int) -> Bursts:
    """Bursts of `size` DM messages against `baton serve` (env's database, seeded here)."""
    _seed(env["BATON_DATABASE_URL"], size)
    threads = Threads(size)
    out(f"Slack DM messages, bursts of {size} (a start, then the answers, in every thread)")
    port = free_port()
    with run_server(baton_argv(port, 1), port=port, env=env, log=tmp / "slack-messages.log") as s:
        began = time.perf_counter()
        # Every burst is measured but the first two (the starts, the first answers): warm-up.
        rounds = len(TYPED) - WARM_ROUNDS
        result = asyncio.run(
            bursts(s.url, fake, size=size, rounds=rounds, make=threads.message, calls_each=1)
        )
    out(result.line("Baton") + f" [{time.perf_counter() - began:.0f} s]")
    return result
