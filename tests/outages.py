"""Databases that a test can take away and bring back, as in a real outage: for an app served
in-process or under uvicorn. Nothing of Baton is faked; the database itself goes away."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, text

from bot.app import create_app
from bot.settings import Settings
from storage.db import create_db_engine, upgrade_database
from tests.conftest import PostgresServer, dispose_when_idle

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


@dataclass
class Downable:
    """An app on a database of its own, and the switches that take the database away and back."""

    app: FastAPI
    take_down: Callable[[], None]
    bring_back: Callable[[], None]


@contextmanager
def app_on_downable_database(
    backend: str, request: pytest.FixtureRequest, settings: Callable[[str], Settings]
) -> Iterator[Downable]:
    """`create_app(settings(url))` on a fresh `backend` database that the test may take down;
    afterwards the database is back, the engine disposed once idle and a PostgreSQL database
    dropped."""
    server: PostgresServer | None = None
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        url, down, up = sqlite_database(request.getfixturevalue("tmp_path"), template)
    else:
        server = request.getfixturevalue("postgres_server")
        url, down, up = postgres_database(server)
    app = create_app(settings(url))
    engine = app.state.runtime.engine
    is_down = False

    def take_down() -> None:
        nonlocal is_down
        down(engine)
        is_down = True

    def bring_back() -> None:
        nonlocal is_down
        up(engine)
        is_down = False

    try:
        yield Downable(app, take_down, bring_back)
    finally:
        if is_down:
            bring_back()
        dispose_when_idle(engine)
        if server is not None:
            server.drop(url)
