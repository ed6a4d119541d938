"""Writing and reading many rows at once, for imports and re-scoring that work on sets.

Ids are reserved before rows are inserted, so rows built in memory can refer to each other (a
ledger entry to its event, an outbox item to its stage change) without reading anything back,
and get the ids that inserting them one at a time, in the same order, would give. Values are
converted once to what the column types store (text datetimes on SQLite, JSON text, enum
values), so the driver's executemany runs without per-value type processing in Python: through
the ORM or Core that processing costs several times the insert itself.
"""

from __future__ import annotations

import gc
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table
from sqlmodel import Session, SQLModel

from storage.models import OutboxItem

CHUNK = 20_000  # rows per executemany call
KEYS_PER_QUERY = 900  # values per IN (...) list
# SQLite's page cache (KiB) while bulk work writes; its default is 2 MiB.
BULK_CACHE_KIB = 256 * 1024


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while rows are built by the million: they hold no cycles,
    and each full collection would walk all of them (a third of a re-score's time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def big_page_cache(session: Session) -> Iterator[None]:
    """On SQLite, a page cache that holds the indexes bulk work writes to, for its duration.

    With the default 2 MiB most index pages an insert touches are read back through the
    operating system, which costs about a third of the inserts' time. The setting belongs to the
    connection, so it is put back before the connection returns to the pool.
    """
    dbapi = session.connection().connection.dbapi_connection
    cache = dbapi if isinstance(dbapi, sqlite3.Connection) else None
    if cache is None:
        yield
        return
    previous = int(cache.execute("PRAGMA cache_size").fetchone()[0])
    cache.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        cache.execute(f"PRAGMA cache_size={previous}")


def chunks(items: Sequence[Any], size: int = KEYS_PER_QUERY) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def table(model: type[SQLModel]) -> Table:
    """The model's table (SQLModel does not declare `__table__` to type checkers)."""
    found: Table = model.__table__  # type: ignore[attr-defined]
    return found


def model_defaults(model: type[SQLModel]) -> dict[str, Any]:
    """The model's Python-side default for each field that has a constant one (not a factory)."""
    return {
        name: info.default
        for name, info in model.model_fields.items()
        if info.default_factory is None and not info.is_required()
    }


class BulkRows:
    """Reserves ids and runs executemany in the session's transaction, on SQLite or PostgreSQL.

    On SQLite the transaction holds the database's write lock from its first statement
    (BEGIN IMMEDIATE), so the next ids are the ones after the largest. On PostgreSQL ids come
    from each table's sequence, as single inserts would take them.
    """

    def __init__(self, session: Session) -> None:
        session.flush()  # pending ORM rows get their ids before any are reserved here
        self.connection: Connection = session.connection()
        dialect = self.connection.dialect
        self.postgres = dialect.name == "postgresql"
        self._marker = "%s" if self.postgres else "?"
        self._quote = dialect.identifier_preparer.quote

    # --- values as stored -----------------------------------------------------------------

    def moment(self, value: datetime | None) -> Any:
        """A datetime as `storage.types.UTCDateTime` stores it."""
        if value is None:
            return None
        if value.tzinfo is not UTC:
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if self.postgres:
            return value
        # SQLAlchemy's SQLite DATETIME text: naive, always six digits of microseconds (the first
        # 26 characters of the ISO form, before the "+00:00").
        return value.isoformat(sep=" ", timespec="microseconds")[:26]

    def read_moment(self, value: Any) -> datetime | None:
        """A stored datetime read back as an aware UTC datetime (as UTCDateTime loads it)."""
        if value is None:
            return None
        if isinstance(value, str):  # SQLite: naive UTC text
            return datetime.fromisoformat(value + "+00:00")
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

    @staticmethod
    def json(value: Any) -> str:
        """JSON text as SQLAlchemy's JSON type writes it (json.dumps with its defaults)."""
        return json.dumps(value)

    # --- ids --------------------------------------------------------------------------------

    def reserve_ids(self, table: Table, count: int) -> list[int]:
        """`count` new ids for `table`, in the order single inserts would have taken them."""
        if count <= 0:
            return []
        name = table.name
        if self.postgres:
            rows = self.connection.exec_driver_sql(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                "FROM generate_series(1, %s) ORDER BY 1",
                (name, count),
            ).all()
            return [int(row[0]) for row in rows]
        largest = self.connection.exec_driver_sql(
            f"SELECT max(id) FROM {self._quote(name)}"
        ).scalar()
        start = int(largest or 0) + 1
        return list(range(start, start + count))

    # --- statements ---------------------------------------------------------------------------

    def insert(self, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert rows whose values are in storage form, `columns` in that order."""
        if not rows:
            return
        names = ", ".join(self._quote(column) for column in columns)
        markers = ", ".join([self._marker] * len(columns))
        sql = f"INSERT INTO {self._quote(table.name)} ({names}) VALUES ({markers})"
        for part in chunks(rows, CHUNK):
            self.connection.exec_driver_sql(sql, list(part))

    def update(
        self,
        table: Table,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        key: str = "id",
    ) -> None:
        """Set `columns` of each row; each row holds their values and then the key."""
        if not rows:
            return
        sets = ", ".join(f"{self._quote(column)} = {self._marker}" for column in columns)
        sql = (
            f"UPDATE {self._quote(table.name)} SET {sets} WHERE {self._quote(key)} = {self._marker}"
        )
        for part in chunks(rows, CHUNK):
            self.connection.exec_driver_sql(sql, list(part))

    def select_in(
        self,
        sql: str,
        values: Sequence[Any],
        *,
        before: Sequence[Any] = (),
        suffix: str = "",
    ) -> list[Any]:
        """Rows of `sql` + `IN (values)` + `suffix`, one query per chunk of values; `sql` ends
        with the column to match, and `before` holds parameters that come before the list."""
        found: list[Any] = []
        for part in chunks(values):
            markers = ", ".join([self._marker] * len(part))
            query = f"{sql} IN ({markers}){suffix}"
            found.extend(self.connection.exec_driver_sql(query, (*before, *part)).all())
        return found

    @property
    def marker(self) -> str:
        return self._marker


OUTBOX_COLUMNS = ("id", "kind", "topic", "payload", "status", "attempts", "next_attempt_at",
                  "last_error", "dedupe_key", "created_at", "delivered_at")  # fmt: skip


def outbox_row(
    rows: BulkRows,
    item_id: int,
    *,
    kind: str,
    topic: str,
    payload: dict[str, Any],
    stored_at: Any,
    dedupe_key: str | None = None,
) -> tuple[Any, ...]:
    """An outbox item in storage form (`stored_at` as `BulkRows.moment` gives it), with the
    defaults `OutboxItem` gives a new item."""
    defaults = _OUTBOX_DEFAULTS
    return (item_id, kind, topic, rows.json(payload), defaults["status"], defaults["attempts"],
            stored_at, defaults["last_error"], dedupe_key, stored_at,
            defaults["delivered_at"])  # fmt: skip


_OUTBOX_DEFAULTS = model_defaults(OutboxItem)
