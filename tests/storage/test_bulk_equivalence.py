"""The bulk import and re-score leave the database exactly as the row-by-row way does.

Two databases get the same history: a few leads made through the services (answers, stage
moves, an event, a webhook endpoint), then a leads file, an events file and a re-score after a
rules change. One database takes the files row by row and re-scores each lead with
`rescore_lead` (tests/storage/per_lead_import.py); the other takes the bulk path. After each
step every row of every table they touch must be equal, ids included; only the moments at which
rows were written may differ.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel

from qualification.lifecycle import Actor, ActorKind, StageEvent
from qualification.parsers.money import parse_money
from qualification.rules import RuleSet, default_rules, parse_rules
from qualification.stages import Dimension, EventKind, GivenBy, Stage
from storage.answers import record_answer
from storage.db import create_db_engine, upgrade_database
from storage.events import record_event
from storage.imports import ImportKind, ImportReport, import_csv
from storage.leads import create_lead, move_stage
from storage.ledger import rescore_all, rescore_lead
from storage.models import LeadCreate
from storage.secrets import SecretBox, generate_key
from storage.webhooks import add_endpoint, parse_events
from tests.conftest import BACKENDS, PostgresServer
from tests.storage.per_lead_import import import_row_by_row, rescore_each

NOW = datetime.now(UTC).replace(microsecond=0)
RULES_SOURCE = Path(__file__).parents[2] / "qualification" / "rules" / "default.yaml"
RULES = default_rules()
BOX = SecretBox(generate_key())
SYSTEM = Actor.system("test")
MARKETING = Actor(kind=ActorKind.MARKETING, label="import leads.csv")
TITLES = ("VP of Sales", "Sales Manager", "SDR", "Head of Marketing", "CEO", "", "Ninja")
KINDS = ("visit", "content_download", "email_open", "email_click", "demo_request", "bounce")
TABLES = ("leads", "behaviour_events", "score_entries", "stage_changes", "outbox",
          "bant_answers", "handoff_requests")  # fmt: skip
# When a row was written: the two runs write at different moments.
MOMENTS = {"created_at", "updated_at", "at", "next_attempt_at", "occurred_at", "answered_at",
           "changed_at"}  # fmt: skip
# Enough leads and keys that every IN (...) list is split.
LEADS = 950


def _migrated_sqlite(template: Path, path: Path) -> str:
    path.write_bytes(template.read_bytes())
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def postgres_pair(postgres_server: PostgresServer) -> tuple[str, str]:
    urls = (postgres_server.create(), postgres_server.create())
    for url in urls:
        engine = create_db_engine(url)
        upgrade_database(engine)
        engine.dispose()
    return urls


def _emptied(url: str) -> str:
    engine = create_db_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture(params=BACKENDS)
def engines(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[tuple[Engine, Engine]]:
    """(reference, bulk): two empty migrated databases of one backend."""
    if request.param == "sqlite":
        urls = (
            _migrated_sqlite(sqlite_template, tmp_path / "reference.db"),
            _migrated_sqlite(sqlite_template, tmp_path / "bulk.db"),
        )
    else:
        pair: tuple[str, str] = request.getfixturevalue("postgres_pair")
        urls = (_emptied(pair[0]), _emptied(pair[1]))
    reference, bulk = create_db_engine(urls[0]), create_db_engine(urls[1])
    yield reference, bulk
    reference.dispose()
    bulk.dispose()


# --- the shared history ----------------------------------------------------------------


def _seed(session: Session) -> None:
    """Leads the files will meet: scored, answered, moved, with an event and a webhook."""
    add_endpoint(
        session=session, url="https://crm.example.com/in", events=parse_events("*"), box=BOX
    )
    made = {}
    for email, title, employees in (
        ("mql@known.example", "VP of Sales", 250),
        ("nurtured@known.example", "CEO", 600),
        ("answered@known.example", "Analyst", 20),
        ("quiet@known.example", "", None),
    ):
        made[email] = lead = create_lead(
            session=session,
            data=LeadCreate(email=email, name=email.split("@")[0], title=title,
                            employee_count=employees, industry="software", country="US"),
            actor=SYSTEM,
        )  # fmt: skip
        rescore_lead(session=session, lead=lead, rules=RULES, now=NOW)
    record_event(
        session=session,
        lead=made["mql@known.example"],
        kind=EventKind.DEMO_REQUEST,
        occurred_at=NOW - timedelta(days=2),
        rules=RULES,
        now=NOW,
        idempotency_key="known-key",
    )
    nurtured = made["nurtured@known.example"]
    assert nurtured.stage is Stage.MQL  # its fit alone reaches the threshold
    move_stage(session=session, lead=nurtured, event=StageEvent.ACCEPT, actor=SYSTEM, reason="ok")
    move_stage(
        session=session,
        lead=nurtured,
        event=StageEvent.RETURN_TO_NURTURE,
        actor=SYSTEM,
        reason="not now",
    )
    answered = made["answered@known.example"]
    for raw, given_by in (("about 5k a year", GivenBy.PROSPECT), ("50k a year", GivenBy.SDR)):
        record_answer(
            session=session,
            lead=answered,
            dimension=Dimension.BUDGET,
            result=parse_money(raw, default_currency="USD"),
            raw_text=raw,
            given_by=given_by,
        )
    answered.last_activity_at = NOW - timedelta(days=1)  # as in both databases alike
    rescore_lead(session=session, lead=answered, rules=RULES, now=NOW)
    session.commit()


def _leads_csv() -> bytes:
    lines = ["email,name,title,company_name,employee_count,annual_revenue,country,industry"]
    for n in range(LEADS):
        revenue = "" if n % 3 else str(n * 37_000)
        industry = ("software", "fintech", "", "mining")[n % 4]
        lines.append(f"p{n}@c{n % 40}.example,Person {n},{TITLES[n % len(TITLES)]},"
                     f"Company {n % 40},{5 + n % 1200},{revenue},{('us', 'DE', '')[n % 3]},"
                     f"{industry}")  # fmt: skip
    lines += [
        "MQL@known.example,Known Again,Director of IT,Known,1500,,GB,saas",  # updates a lead
        "p1@c1.example,Person One Again,Chief Revenue Officer,,,,,",  # a repeat in the file
        "not-an-email,Broken,,,,,,",  # rejected; skipped
        "p2@c2.example,,,,lots,,,",  # rejected; its lead keeps the first row
    ]
    return ("\n".join(lines) + "\n").encode()


def _events_csv() -> bytes:
    lines = ["email,kind,occurred_at,asset,url,idempotency_key"]
    for n in range(LEADS * 3):
        who = (n * 7919) % (LEADS + 40)  # some emails are not leads yet
        at = (NOW - timedelta(days=90) + timedelta(minutes=n * 41)).isoformat()
        key = "" if n % 10 == 3 else f"e{n % (LEADS * 3 - 25)}"  # repeats, and rows without
        asset = "guide" if n % 5 == 1 else ""
        lines.append(f"p{who}@c{who % 40}.example,{KINDS[n % len(KINDS)]},{at},{asset},,{key}")
    lines += [
        f"mql@known.example,visit,{(NOW - timedelta(days=1)).isoformat()},,,known-key",
        f"nurtured@known.example,demo_request,{(NOW - timedelta(hours=3)).isoformat()},,,n1",
        f"nurtured@known.example,content_download,{NOW.isoformat()},ebook,,n2",
        f"quiet@known.example,visit,{(NOW - timedelta(days=200)).isoformat()},,,q1",
    ]
    return ("\n".join(lines) + "\n").encode()


def _changed_rules() -> RuleSet:
    source = RULES_SOURCE.read_text(encoding="utf-8")
    changed = (
        source.replace("mql_threshold: 40", "mql_threshold: 25", 1)
        .replace("visit: {points: 2, cap: 15}", "visit: {points: 3, cap: 12}", 1)
        .replace("      points: 5\n", "      points: 7\n", 1)  # geography
    )
    assert changed.count("points: 3, cap: 12") == 1
    return parse_rules(changed, file="changed.yaml")


# --- comparing ---------------------------------------------------------------------------


def _without_moments(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_moments(v) for k, v in value.items() if k not in MOMENTS}
    if isinstance(value, list):
        return [_without_moments(v) for v in value]
    return value


def _rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        for table in TABLES:
            rows = conn.execute(text(f"SELECT * FROM {table} ORDER BY id")).mappings().all()
            found[table] = [
                {
                    name: json.loads(value)
                    if name in ("payload", "parsed") and isinstance(value, str)
                    else value
                    for name, value in row.items()
                }  # fmt: skip
                for row in rows
            ]
    return {table: [_without_moments(row) for row in rows] for table, rows in found.items()}


def assert_same_rows(reference: Engine, bulk: Engine) -> dict[str, list[dict[str, Any]]]:
    expected, actual = _rows(reference), _rows(bulk)
    for table in TABLES:
        assert len(actual[table]) == len(expected[table]), table
        for want, got in zip(expected[table], actual[table], strict=True):
            assert got == want, table
    return actual


def _report(report: ImportReport) -> tuple[Any, ...]:
    return (report.applied, report.rows, report.imported, report.rejected, report.leads_created,
            report.leads_updated, report.events_created, report.events_duplicate,
            report.leads_scored)  # fmt: skip


Importer = Callable[..., ImportReport]


def _import(engine: Engine, importer: Importer, data: bytes, kind: ImportKind) -> ImportReport:
    with Session(engine, expire_on_commit=False) as session:
        report = importer(session=session, data=data, kind=kind, rules=RULES, now=NOW,
                          actor=MARKETING, skip_invalid=True)  # fmt: skip
        session.commit()
    return report


# --- the tests --------------------------------------------------------------------------------


def test_imports_and_rescoring_write_the_rows_that_row_by_row_writes(
    engines: tuple[Engine, Engine],
) -> None:
    reference, bulk = engines
    for engine in engines:
        with Session(engine, expire_on_commit=False) as session:
            _seed(session)
    assert_same_rows(reference, bulk)

    leads = _leads_csv()
    want = _import(reference, import_row_by_row, leads, ImportKind.LEADS)
    got = _import(bulk, import_csv, leads, ImportKind.LEADS)
    assert _report(got) == _report(want)
    assert (got.leads_created, got.leads_updated) == (LEADS, 1)
    rows = assert_same_rows(reference, bulk)
    assert len(rows["score_entries"]) > 2 * LEADS  # the leads were scored, not just stored

    events = _events_csv()
    want = _import(reference, import_row_by_row, events, ImportKind.EVENTS)
    got = _import(bulk, import_csv, events, ImportKind.EVENTS)
    assert _report(got) == _report(want)
    assert got.events_duplicate == 21 and got.leads_created == 40
    rows = assert_same_rows(reference, bulk)
    moves = {(row["event"], row["actor"]) for row in rows["stage_changes"]}
    assert {("mark_mql", "system:scoring"), ("reengage", "system:scoring")} <= moves
    topics = {row["topic"] for row in rows["outbox"]}
    assert {"lead.created", "lead.stage_changed", "webhook.deliver"} <= topics

    changed = _changed_rules()
    rescorer = Actor.system("rescore")
    with Session(reference, expire_on_commit=False) as session:
        expected_changed = rescore_each(session=session, rules=changed, now=NOW, actor=rescorer)
        session.commit()
    with Session(bulk, expire_on_commit=False) as session:
        seen, actual_changed = rescore_all(session=session, rules=changed, now=NOW, actor=rescorer)
        session.commit()
    assert seen == LEADS + 44 and actual_changed == expected_changed > 0
    rows = assert_same_rows(reference, bulk)
    notes = [
        row["note"] for row in rows["score_entries"] if row["rules_version"] == changed.version
    ]
    assert any("rules changed" in note for note in notes)
    assert ("mark_mql", "system:rescore") in {
        (r["event"], r["actor"]) for r in rows["stage_changes"]
    }


def test_rescoring_twice_changes_nothing_the_second_time(engines: tuple[Engine, Engine]) -> None:
    _, bulk = engines
    with Session(bulk, expire_on_commit=False) as session:
        _seed(session)
    _import(bulk, import_csv, _leads_csv(), ImportKind.LEADS)
    with Session(bulk, expire_on_commit=False) as session:
        assert rescore_all(session=session, rules=RULES, now=NOW, actor=SYSTEM) == (LEADS + 4, 0)
        session.commit()
