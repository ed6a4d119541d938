"""Database engines, schema upgrades and the SQLite/PostgreSQL differences.

Alembic migrations are the only way the schema is made. `open_database` upgrades
automatically by default, or says exactly what to run when told not to.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from qualification.errors import BatonError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant works; it names the lock PostgreSQL workers take while upgrading.
_UPGRADE_LOCK_ID = 0x0BA7_0001
# How long a SQLite connection waits for another one's write lock before giving up.
_SQLITE_BUSY_TIMEOUT_MS = 5000


class DatabaseNotUpgraded(BatonError):
    """The schema is behind the code and automatic upgrades are off."""


def normalise_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


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
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`: SQLite in WAL mode with foreign keys, or PostgreSQL via psycopg 3."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"check_same_thread": False, **kwargs.pop("connect_args", {})}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


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
