"""Inserting a row that a unique constraint may refuse, without spoiling the transaction."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel


def try_insert(session: Session, row: SQLModel) -> IntegrityError | None:
    """Insert `row` inside a SAVEPOINT. On a constraint violation only the row is undone and the
    error is returned, so the caller can read the row that won and carry on."""
    session.flush()  # the caller's pending changes must not be rolled back with the row
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        return exc
    return None
