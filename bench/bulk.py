"""CSV import of leads and behaviour events with scoring (`baton import`), then re-scoring every
lead after a rules change (`baton lead rescore --all`); beside a plain CSV-to-SQLite insert."""

from __future__ import annotations

import csv
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from bench.report import Figure, out
from bench.servers import ROOT
from storage.db import create_db_engine

KINDS = ("visit", "content_download", "email_open", "email_click", "demo_request")
TITLES = ("VP of Sales", "Sales Manager", "SDR", "Head of Marketing", "CEO", "Analyst")
RULES = ROOT / "qualification" / "rules" / "default.yaml"


def write_csvs(tmp: Path, leads: int, events: int) -> tuple[Path, Path]:
    leads_csv, events_csv = tmp / "leads.csv", tmp / "events.csv"
    with leads_csv.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["email", "name", "title", "company_name", "employee_count", "country"])
        for n in range(leads):
            w.writerow([f"p{n}@c{n % 5000}.example.com", f"Person {n}", TITLES[n % 6],
                        f"Company {n % 5000}", 10 + n % 900, "US"])  # fmt: skip
    # Seven seconds apart and all in the past (an import refuses events from the future).
    start = datetime.now(UTC) - timedelta(seconds=events * 7 + 3600)
    with events_csv.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["email", "kind", "occurred_at", "idempotency_key"])
        for n in range(events):
            at = start + timedelta(seconds=n * 7)
            w.writerow([f"p{(n * 7919) % leads}@c{((n * 7919) % leads) % 5000}.example.com",
                        KINDS[n % 5], at.isoformat(), f"e{n}"])  # fmt: skip
    return leads_csv, events_csv


def _baton(env: dict[str, str], *args: str) -> float:
    """Run `baton ARGS` to the end; its wall-clock seconds (the CPU seconds are printed)."""
    code = "from bot.cli.main import main; main()"
    cpu = _children_cpu()
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True,
    )  # fmt: skip
    took = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"baton {' '.join(args)} failed:\n{done.stdout[:2000]}\n{done.stderr}")
    out(f"    baton {' '.join(args[:2])}: {took:.1f} s ({_children_cpu() - cpu:.1f} s of CPU)")
    return took


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _baseline(url: str, leads_csv: Path, events_csv: Path) -> float:
    """Read both files with the csv module and insert the rows in one transaction."""
    engine = create_db_engine(url)
    began, cpu = time.perf_counter(), time.process_time()
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE lead (id INTEGER PRIMARY KEY, email TEXT UNIQUE,"
                " name TEXT, title TEXT, company TEXT, employees INT, country TEXT)"
            )
        )
        conn.execute(text("CREATE TABLE event (id INTEGER PRIMARY KEY, email TEXT, kind TEXT,"
                          " occurred_at TEXT, key TEXT UNIQUE)"))  # fmt: skip
        with leads_csv.open(newline="") as f:
            rows = [dict(zip(("e", "n", "t", "c", "m", "y"), r, strict=True))
                    for r in list(csv.reader(f))[1:]]  # fmt: skip
        conn.execute(text("INSERT INTO lead (email, name, title, company, employees, country)"
                          " VALUES (:e, :n, :t, :c, :m, :y)"), rows)  # fmt: skip
        with events_csv.open(newline="") as f:
            rows = [dict(zip(("e", "k", "o", "i"), r, strict=True))
                    for r in list(csv.reader(f))[1:]]  # fmt: skip
        conn.execute(text("INSERT INTO event (email, kind, occurred_at, key)"
                          " VALUES (:e, :k, :o, :i)"), rows)  # fmt: skip
    took = time.perf_counter() - began
    out(f"    baseline: {took:.1f} s ({time.process_time() - cpu:.1f} s of CPU)")
    engine.dispose()
    return took


def measure(tmp: Path, *, leads: int, events: int) -> list[Figure]:
    leads_csv, events_csv = write_csvs(tmp, leads, events)
    env = {"BATON_DATABASE_URL": f"sqlite:///{tmp}/bulk.db"}
    out(f"bulk: {leads} leads, {events} events")
    base = _baseline(f"sqlite:///{tmp}/bulk-baseline.db", leads_csv, events_csv)
    out(
        f"  baseline (csv + executemany, no checks or scoring): {base:.1f} s,"
        f" {leads / base:.0f} leads/s"
    )
    _baton(env, "db", "upgrade")
    startup = _baton(env, "--help")  # loading the command's modules, part of every figure below
    t_leads = _baton(env, "import", str(leads_csv))
    t_events = _baton(env, "import", str(events_csv))
    total = t_leads + t_events
    out(
        f"  baton import: leads {t_leads:.1f} s, events {t_events:.1f} s -> {leads / total:.0f}"
        f" leads/s end to end (each command spends {startup:.1f} s starting)"
    )
    changed = tmp / "rules.yaml"
    changed.write_text(RULES.read_text().replace("mql_threshold: 40", "mql_threshold: 45", 1))
    t_rescore = _baton({**env, "BATON_RULES_FILE": str(changed)}, "lead", "rescore", "--all")
    out(
        f"  baton lead rescore --all after a rules change: {t_rescore:.1f} s,"
        f" {leads / t_rescore:.0f} leads/s"
    )
    return [
        Figure(
            name=f"bulk import + scoring ({leads} leads, {events} events, SQLite)",
            value=f"{leads / total:.0f} leads/s ({total:.1f} s; baseline {leads / base:.0f}"
            " leads/s)",
            goal=">= 20000 leads/s",
            ratio=base / total,
            met=leads / total >= 20_000,
        ),
        Figure(
            name="re-score all leads after a rules change",
            value=f"{leads / t_rescore:.0f} leads/s ({t_rescore:.1f} s)",
            goal=">= 20000 leads/s",
            met=leads / t_rescore >= 20_000,
        ),
    ]
