"""Shared fixtures: a migrated database on SQLite (always) and PostgreSQL (when configured).

Set BATON_TEST_DATABASE_URL (for example postgresql://postgres@127.0.0.1:5432/test) to run
every database test on PostgreSQL as well. Each test run creates databases of its own on that
server and drops them afterwards, so parallel runs never collide. Under CI=true a missing
PostgreSQL is an error, not a skip.
"""

from __future__ import annotations

import itertools
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL, make_url
from sqlmodel import Session, SQLModel

from storage.db import create_db_engine, normalise_url, upgrade_database

PG_ENV = "BATON_TEST_DATABASE_URL"
IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", "postgres"]


def dispose_when_idle(engine: Engine, timeout: float = 10.0) -> None:
    """Dispose `engine` once no connection of it is checked out.

    Work an app may still be doing when a test ends (a Slack listener after its ack, a stream's
    read in a worker thread) holds a pooled connection. `Engine.dispose()` cannot close that
    one: it is checked in later to the pool the engine just dropped and stays open until the
    garbage collector finds it, in whichever test then runs (psycopg warns: "connection ...
    was deleted while still open"). So wait for it; fail here, naming the cause, if it never
    comes back."""
    deadline = time.monotonic() + timeout
    checked_out = getattr(engine.pool, "checkedout", lambda: 0)
    while checked_out():
        if time.monotonic() > deadline:
            engine.dispose()
            raise AssertionError(
                f"{checked_out()} connection(s) of {engine.url.render_as_string()} still in use"
                f" {timeout:g} s after the test: work it started is still running"
            )
        time.sleep(0.01)
    engine.dispose()


def _require_postgres() -> str:
    url = os.environ.get(PG_ENV)
    if url:
        return url
    if IN_CI:
        pytest.fail(f"{PG_ENV} is not set; PostgreSQL tests must run in CI")
    pytest.skip(f"PostgreSQL tests skipped: set {PG_ENV} to run them")


class PostgresServer:
    """Creates and drops uniquely named databases on the configured server."""

    def __init__(self, url: str) -> None:
        self.base: URL = make_url(normalise_url(url))
        self.prefix = f"baton_test_{os.getpid()}_{secrets.token_hex(4)}"
        self.admin = create_db_engine(
            self.base.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
        )
        self._names = itertools.count()
        self.created: list[str] = []

    def create(self) -> str:
        name = f"{self.prefix}_{next(self._names)}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.base.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if name in self.created:
            self.created.remove(name)

    def close(self) -> None:
        for name in list(self.created):
            self.drop(self.base.set(database=name).render_as_string(hide_password=False))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = PostgresServer(_require_postgres())
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def postgres_url(postgres_server: PostgresServer) -> str:
    """A PostgreSQL database of this test run, migrated once (dropped at the end of the run)."""
    url = postgres_server.create()
    engine = create_db_engine(url)
    upgrade_database(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies (faster than migrating per test)."""
    path = tmp_path_factory.mktemp("template") / "baton.db"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade_database(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


def _truncate_all(url: str) -> None:
    engine = create_db_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """The URL of an empty, migrated database: a temporary SQLite file, or PostgreSQL.

    Use it for code that opens its own engine (a server or CLI started by the test).
    """
    if request.param == "sqlite":
        path = tmp_path / "baton.db"
        path.write_bytes(sqlite_template.read_bytes())
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("postgres_url")
    _truncate_all(url)
    yield url


@pytest.fixture(params=BACKENDS)
def blank_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database with no schema at all (for upgrade tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/blank/baton.db"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create()
    try:
        yield url
    finally:
        server.drop(url)


@pytest.fixture
def db_engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url)
    yield engine
    dispose_when_idle(engine)


@pytest.fixture
def session(db_engine: Engine) -> Iterator[Session]:
    with Session(db_engine, expire_on_commit=False) as s:
        yield s
