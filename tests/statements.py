"""Counting the SQL statements an engine runs, for statement-budget tests (counts, never times)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The statements `engine` runs inside the block, BEGIN/COMMIT and savepoints left out."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.split(maxsplit=1)[0].upper() not in TRANSACTION_CONTROL:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)
