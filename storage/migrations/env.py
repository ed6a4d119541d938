"""Alembic environment: runs on the connection Baton hands over (see storage.db)."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers every table on SQLModel.metadata)
from storage.types import EnumText, UTCDateTime

target_metadata = SQLModel.metadata


def render_item(
    type_: str,
    obj: Any,
    autogen_context: AutogenContext,  # noqa: ARG001  (hook signature)
) -> str | Literal[False]:
    """Write our column types as the plain SQLAlchemy types they store, so that migrations
    never import application code that may change after they are written."""
    if type_ == "type" and isinstance(obj, EnumText):
        return f"sa.String(length={obj.length})"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `baton db upgrade` (storage.db.upgrade_database)")
run_migrations(connection)
