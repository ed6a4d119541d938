"""The schema comes from migrations only, and matches the models exactly."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

from storage.db import (
    DatabaseNotUpgraded,
    create_db_engine,
    database_revision_state,
    head_revision,
    is_postgres,
    normalise_url,
    open_database,
    upgrade_database,
)


def test_migrated_schema_has_exactly_the_model_tables_and_no_drift(db_engine: Engine) -> None:
    tables = set(inspect(db_engine).get_table_names()) - {"alembic_version"}
    assert tables == set(SQLModel.metadata.tables)
    with db_engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_pending_handoff_index_is_partial(db_engine: Engine) -> None:
    indexes = {i["name"]: i for i in inspect(db_engine).get_indexes("handoff_requests")}
    pending = indexes["uq_handoff_pending"]
    assert pending["unique"] and pending["column_names"] == ["lead_id"]
    where = pending.get("dialect_options", {})
    assert any("pending" in str(v) for k, v in where.items() if k.endswith("_where"))


def test_upgrade_is_idempotent(db_engine: Engine) -> None:
    upgrade_database(db_engine)
    upgrade_database(db_engine)
    assert database_revision_state(db_engine) == (head_revision(), head_revision())


def test_a_blank_database_is_refused_without_auto_upgrade(blank_database_url: str) -> None:
    with pytest.raises(DatabaseNotUpgraded, match="baton db upgrade"):
        open_database(blank_database_url, auto_upgrade=False)
    engine = open_database(blank_database_url)
    try:
        assert database_revision_state(engine) == (head_revision(), head_revision())
        assert "leads" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_workers_upgrading_at_once_do_not_collide(blank_database_url: str) -> None:
    engines = [create_db_engine(blank_database_url) for _ in range(8)]
    barrier = threading.Barrier(len(engines))
    errors: list[BaseException] = []

    def upgrade(engine: Engine) -> None:
        barrier.wait()
        try:
            upgrade_database(engine)
        except BaseException as exc:  # collected and reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=upgrade, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        assert database_revision_state(engines[0])[0] == head_revision()
        with engines[0].connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        for e in engines:
            e.dispose()


def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path}/new/dir/baton.db")
    try:
        assert (tmp_path / "new" / "dir" / "baton.db").exists()
        assert not is_postgres(engine)
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///baton.db", "sqlite:///baton.db"),
    ],
)
def test_postgres_urls_use_psycopg_3(given: str, expected: str) -> None:
    assert normalise_url(given) == expected
