"""Databases that a test can take away and bring back, as in a real outage: for an app served
in-process or under uvicorn. Nothing of Baton is faked; the database itself goes away."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, text

from storage.db import create_db_engine, upgrade_database
from tests.conftest import PostgresServer

Switch = Callable[[Engine], None]


def sqlite_database(tmp_path: Path, template: Path) -> tuple[str, Switch, Switch]:
    """A database file in a folder of its own; down = the folder is gone (an unmounted volume),
    so no new connection can open the file."""
    folder, away = tmp_path / "data", tmp_path / "data-away"
    folder.mkdir()
    shutil.copyfile(template, folder / "baton.db")

    def take_down(engine: Engine) -> None:
        # Moved first, then the pool emptied: a connection a running server opens meanwhile
        # would otherwise keep the file open and go on working.
        folder.rename(away)
        engine.dispose()

    def bring_back(_engine: Engine) -> None:
        away.rename(folder)

    return f"sqlite:///{folder / 'baton.db'}", take_down, bring_back


def postgres_database(server: PostgresServer) -> tuple[str, Switch, Switch]:
    """A database of its own; down = it refuses connections and its sessions are ended, as when
    the server restarts or a failover is under way."""
    url = server.create()
    engine = create_db_engine(url)
    upgrade_database(engine)
    engine.dispose()
    name = str(engine.url.database)

    def take_down(_engine: Engine) -> None:
        with server.admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )

    def bring_back(_engine: Engine) -> None:
        with server.admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))

    return url, take_down, bring_back
