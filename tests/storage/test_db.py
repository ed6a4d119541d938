"""Engine behaviour every request relies on: read-only transactions that never wait for the
write lock, and writers that take turns without errors."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from storage.db import PG_CONNECT_TIMEOUT_SECONDS, create_db_engine, read_session
from storage.ratelimit import current_count, hit

NOW = datetime(2026, 3, 2, 10, 0, 30, tzinfo=UTC)


def test_a_read_session_reads_while_a_writer_holds_the_lock(db_engine: Engine) -> None:
    with Session(db_engine) as writer, read_session(db_engine) as reader:
        hit(session=writer, key="seen", limit=10, window_seconds=60, now=NOW)
        writer.connection()  # a new write transaction: on SQLite it holds the write lock
        began = time.monotonic()
        assert current_count(session=reader, key="seen", window_seconds=60, now=NOW) == 1
        assert time.monotonic() - began < 1  # no wait for the busy timeout (5 s)
        reader.commit()
        writer.rollback()


def test_writers_in_many_threads_take_turns_and_none_is_lost(db_engine: Engine) -> None:
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(15):
                with Session(db_engine) as session:
                    hit(session=session, key="busy", limit=10**6, window_seconds=60, now=NOW)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with read_session(db_engine) as session:
        assert current_count(session=session, key="busy", window_seconds=60, now=NOW) == 120


def test_a_writer_that_rolls_back_or_closes_lets_the_next_one_in(db_engine: Engine) -> None:
    def write() -> None:
        with Session(db_engine) as session:
            hit(session=session, key="next", limit=100, window_seconds=60, now=NOW)

    def next_write_seconds() -> float:
        began = time.monotonic()
        done = threading.Thread(target=write)
        done.start()
        done.join()
        return time.monotonic() - began

    rolled_back = Session(db_engine)
    rolled_back.connection()  # a write transaction has begun
    rolled_back.rollback()
    assert next_write_seconds() < 2.5
    closed = Session(db_engine)
    closed.connection()
    closed.close()
    assert next_write_seconds() < 2.5


def test_a_postgresql_server_that_never_answers_fails_the_connection_instead_of_hanging() -> None:
    """A database host that accepts the TCP connection but never answers (a hung server, a
    black-holing firewall) must fail the attempt after the connect timeout, so requests get a
    503 instead of waiting for the operating system's TCP timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes handshakes; nobody ever reads or answers
        port = silent.getsockname()[1]
        engine = create_db_engine(f"postgresql://baton@127.0.0.1:{port}/baton")
        failures: list[BaseException] = []

        def connect() -> None:
            try:
                with engine.connect():
                    pass
            except BaseException as exc:  # noqa: BLE001 - the failure is what is checked
                failures.append(exc)

        attempt = threading.Thread(target=connect, daemon=True)
        attempt.start()
        attempt.join(timeout=PG_CONNECT_TIMEOUT_SECONDS + 25)
        engine.dispose()
    assert not attempt.is_alive(), "the connection attempt is still waiting"
    assert len(failures) == 1
    assert isinstance(failures[0], OperationalError)
    assert "timeout" in str(failures[0]).lower()
