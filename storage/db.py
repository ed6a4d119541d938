"""Database engines, schema upgrades and the SQLite/PostgreSQL differences.

Alembic migrations are the only way the schema is made. `open_database` upgrades
automatically by default, or says exactly what to run when told not to.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from qualification.errors import BatonError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant works; it names the lock PostgreSQL workers take while upgrading.
_UPGRADE_LOCK_ID = 0x0BA7_0001
# How long a SQLite connection waits for another one's write lock before giving up.
_SQLITE_BUSY_TIMEOUT_MS = 5000
# Connections kept per engine (so per worker process), and how many more a burst may open.
# Sized for the web server: its request threads (bot.cli.serve.THREADS) plus asyncio's default
# executor (the outbox and live-chat loops, up to 6 threads on small machines) never wait for a
# connection. PostgreSQL's default of 100 connections allows 3 such workers; raise its
# max_connections (or put PgBouncer in front) before running more.
POOL_SIZE = 20
POOL_OVERFLOW = 10
# Seconds a new PostgreSQL connection may take before the attempt fails. Without it a database
# host that is unreachable (packets dropped, not refused) holds a request for the operating
# system's TCP timeout, minutes, instead of answering 503 at once. A `connect_timeout` in the
# database URL wins.
PG_CONNECT_TIMEOUT_SECONDS = 5
# The execution option that marks a read-only engine (see `read_only`).
READ_ONLY = "baton_read_only"


class DatabaseNotUpgraded(BatonError):
    """The schema is behind the code and automatic upgrades are off."""


def normalise_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class _SQLiteConnection(sqlite3.Connection):
    """A connection that queues for its process's write lock before `BEGIN IMMEDIATE`.

    SQLite's own busy handler polls with sleeps of up to 100 ms, so under many concurrent
    writers a waiting one often sleeps through the moment the lock is free and late arrivals
    overtake it: throughput drops and the slowest waits reach seconds. Writers of one process
    wait on a Python lock instead, which hands over as soon as the holder commits or rolls back;
    other processes on the same file still meet at SQLite's lock (busy_timeout).
    """

    write_lock: threading.Lock | None = None
    holding = False

    def hold(self) -> None:
        lock = self.write_lock
        if lock is not None and not self.holding:
            # Past the busy timeout, go on without it and let SQLite decide, as before.
            self.holding = lock.acquire(timeout=_SQLITE_BUSY_TIMEOUT_MS / 1000)

    def let_go(self) -> None:
        if self.holding and self.write_lock is not None:
            self.holding = False
            self.write_lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.let_go()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.let_go()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.let_go()


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin (see _sqlite_begin);
    # this is what makes SAVEPOINTs work.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
        _enable_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _enable_wal(cursor: Any) -> None:
    # Switching a new database to WAL needs an exclusive lock. When several processes open it at
    # once, SQLite refuses the losers at once ("database is locked") instead of calling the busy
    # handler, because waiting could deadlock; so wait and try again here, as the handler would.
    deadline = time.monotonic() + _SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_begin(conn: Connection) -> None:
    # IMMEDIATE takes the write lock up front: concurrent writers queue (busy_timeout) instead
    # of failing with "database is locked" when a read turns into a write mid-transaction.
    # A read-only engine (see `read_only`) begins DEFERRED: in WAL mode its reads then run
    # beside the writer instead of queueing for the one write lock.
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
        return
    dbapi_connection = conn.connection.dbapi_connection
    queued = dbapi_connection if isinstance(dbapi_connection, _SQLiteConnection) else None
    if queued is not None:
        queued.hold()
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        if queued is not None:
            queued.let_go()
        raise


def read_only(engine: Engine) -> Engine:
    """`engine` (same pool) for transactions that only read: on SQLite they begin DEFERRED and
    so never wait for, or hold, the write lock. A write in such a transaction may fail with
    "database is locked" at once; use the plain engine for anything that writes."""
    return engine.execution_options(**{READ_ONLY: True})  # a light proxy (about 10 µs)


def read_session(engine: Engine) -> Session:
    """A session on `read_only(engine)`; loaded rows stay usable after it commits."""
    return Session(read_only(engine), expire_on_commit=False)


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`: SQLite in WAL mode with foreign keys, or PostgreSQL via psycopg 3."""
    url = normalise_url(url)
    # Error messages (and so logs) then name the statement but never its values: personal data.
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        connect_args = {
            "check_same_thread": False,
            "factory": _SQLiteConnection,
            **kwargs.pop("connect_args", {}),
        }
        if parsed.database and parsed.database != ":memory:":  # QueuePool, not one per thread
            kwargs.setdefault("pool_size", POOL_SIZE)
            kwargs.setdefault("max_overflow", POOL_OVERFLOW)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        write_lock = threading.Lock()  # one per engine: the process's writers to this file

        def _connect(dbapi_connection: Any, record: Any) -> None:
            if isinstance(dbapi_connection, _SQLiteConnection):
                dbapi_connection.write_lock = write_lock
            _sqlite_connect(dbapi_connection, record)

        event.listen(engine, "connect", _connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if "connect_timeout" not in parsed.query:
        connect_args = {"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS}
        kwargs["connect_args"] = {**connect_args, **kwargs.get("connect_args", {})}
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", POOL_SIZE)
        kwargs.setdefault("max_overflow", POOL_OVERFLOW)
    return create_engine(url, **kwargs)


def describe_database_error(exc: BaseException) -> str:
    """The driver's error class, code and first line: enough to act on, and never the
    statement's parameters (which may hold personal data)."""
    driver_error = exc.orig if isinstance(exc, DBAPIError) else exc
    code = getattr(driver_error, "sqlstate", None) or getattr(
        driver_error, "sqlite_errorname", None
    )
    first_line = (str(driver_error).strip().splitlines() or [""])[0]
    kind = type(driver_error).__module__ + "." + type(driver_error).__name__
    return f"{kind}{f' [{code}]' if code else ''}: {first_line}"


def is_postgres(bind: Engine | Connection | Session) -> bool:
    """True when `bind` talks to PostgreSQL (row locks, SKIP LOCKED, advisory locks)."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name == "postgresql"


def _alembic_config(connection: Connection | None = None) -> Config:
    # Built in code from the installed package, so no alembic.ini is needed anywhere.
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest migration this version of Baton ships."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def database_revision_state(engine: Engine) -> tuple[str | None, str]:
    """(the database's current revision or None, the code's head revision)."""
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, head_revision()


def upgrade_database(engine: Engine) -> None:
    """Apply pending migrations. Concurrent callers on PostgreSQL wait for each other."""
    with engine.begin() as conn:
        if is_postgres(conn):
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _UPGRADE_LOCK_ID})
        command.upgrade(_alembic_config(conn), "head")


def open_database(url: str, *, auto_upgrade: bool = True) -> Engine:
    """An engine whose schema is current: upgraded here, or an error naming the command."""
    engine = create_db_engine(url)
    current, head = database_revision_state(engine)
    if current != head:
        if not auto_upgrade:
            engine.dispose()
            raise DatabaseNotUpgraded(
                f"the database schema is at {current or 'nothing'} but Baton needs {head}: "
                "run `baton db upgrade`"
            )
        upgrade_database(engine)
    return engine
