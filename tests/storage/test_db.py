"""Engine behaviour every request relies on: read-only transactions that never wait for the
write lock, and writers that take turns without errors."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlmodel import Session

from storage.db import read_session
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
