"""Claiming, leasing, backing off and giving up on outbox items, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from qualification.errors import InvalidInput, NotFound
from storage.db import is_postgres
from storage.models import OutboxItem
from storage.outbox import EVENT, enqueue
from storage.outbox_worker import (
    MAX_DELAY_SECONDS,
    backoff_seconds,
    claim_batch,
    dead_items,
    mark_done,
    mark_failed,
    outbox_summary,
    retry_dead,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _queue(session: Session, count: int, *, due: datetime = NOW) -> list[int]:
    items = [
        enqueue(session=session, kind=EVENT, topic="lead.created", payload={"n": n})
        for n in range(count)
    ]
    for item in items:
        item.next_attempt_at = due
    session.commit()
    return [item.id for item in items if item.id is not None]


def _ids(items: list[OutboxItem]) -> list[int | None]:
    return [item.id for item in items]


def test_a_claim_leases_items_until_the_lease_runs_out(session: Session) -> None:
    ids = _queue(session, 3)
    assert _ids(claim_batch(session=session, now=NOW, lease_seconds=60)) == ids
    session.commit()
    assert claim_batch(session=session, now=NOW) == []
    assert claim_batch(session=session, now=NOW + timedelta(seconds=59)) == []
    session.commit()
    # The worker that claimed them never reported back: they come back after the lease.
    assert _ids(claim_batch(session=session, now=NOW + timedelta(seconds=60))) == ids
    session.commit()


def test_a_claim_takes_due_pending_items_oldest_first_up_to_the_limit(session: Session) -> None:
    ids = _queue(session, 4)
    later = _queue(session, 1, due=NOW + timedelta(minutes=5))
    mark_done(session=session, item_id=ids[0], now=NOW)
    session.commit()
    assert _ids(claim_batch(session=session, now=NOW, limit=2, lease_seconds=600)) == ids[1:3]
    assert _ids(claim_batch(session=session, now=NOW, limit=10, lease_seconds=600)) == ids[3:]
    assert _ids(claim_batch(session=session, now=NOW + timedelta(minutes=5))) == later


def test_done_items_are_never_claimed_again(session: Session) -> None:
    [item_id] = _queue(session, 1)
    done = mark_done(session=session, item_id=item_id, now=NOW)
    session.commit()
    assert (done.status, done.delivered_at) == ("done", NOW)
    assert claim_batch(session=session, now=NOW + timedelta(days=1)) == []


def test_concurrent_claims_on_postgres_get_disjoint_items(db_engine: Engine) -> None:
    if not is_postgres(db_engine):
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite serializes writers instead")
    with Session(db_engine) as setup:
        ids = _queue(setup, 10)
    start = threading.Barrier(2, timeout=10)
    both_claimed = threading.Barrier(2, timeout=10)
    claimed: dict[str, list[int | None]] = {}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            start.wait()
            with Session(db_engine) as session:
                claimed[name] = _ids(claim_batch(session=session, now=NOW, limit=5))
                # Both transactions hold their row locks at this point.
                both_claimed.wait()
                session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(claimed["a"]) == len(claimed["b"]) == 5
    assert set(claimed["a"]).isdisjoint(claimed["b"])
    assert set(claimed["a"]) | set(claimed["b"]) == set(ids)


def test_failures_back_off_longer_each_time_and_end_dead(session: Session) -> None:
    [item_id] = _queue(session, 1)
    delays: list[float] = []
    for attempt in range(1, 8):
        item = mark_failed(session=session, item_id=item_id, error=f"boom {attempt}", now=NOW)
        session.commit()
        assert (item.status, item.attempts, item.last_error) == (
            "pending",
            attempt,
            f"boom {attempt}",
        )
        delays.append((item.next_attempt_at - NOW).total_seconds())
    assert all(later > earlier for earlier, later in zip(delays, delays[1:], strict=False))
    assert 0 < delays[0] <= 5
    item = mark_failed(session=session, item_id=item_id, error="boom 8", now=NOW)
    session.commit()
    assert (item.status, item.attempts) == ("dead", 8)
    assert claim_batch(session=session, now=NOW + timedelta(days=30)) == []
    assert outbox_summary(session=session) == {"dead": 1}
    assert _ids(dead_items(session=session)) == [item_id]


def test_backoff_is_capped_at_an_hour() -> None:
    assert all(backoff_seconds(n) <= MAX_DELAY_SECONDS for n in range(1, 60))
    assert backoff_seconds(40) >= 0.75 * MAX_DELAY_SECONDS


def test_errors_are_kept_short_and_without_credentials(session: Session) -> None:
    [item_id] = _queue(session, 1)
    error = (
        "401 from https://hooks.example.com with Authorization: Bearer s3cr3t-token "
        "token xoxb-123-456-abcdef and postgresql://baton:hunter2@db/baton " + "x" * 5000
    )
    item = mark_failed(session=session, item_id=item_id, error=error, now=NOW)
    session.commit()
    assert item.last_error is not None
    assert len(item.last_error) == 2000
    for secret in ("s3cr3t-token", "xoxb-123", "hunter2"):
        assert secret not in item.last_error
    assert item.last_error.startswith("401 from https://hooks.example.com")


def test_retry_dead_gives_an_item_fresh_attempts(session: Session) -> None:
    [item_id] = _queue(session, 1)
    with pytest.raises(InvalidInput):
        retry_dead(session=session, item_id=item_id)
    mark_failed(session=session, item_id=item_id, error="gone", now=NOW, max_attempts=1)
    session.commit()
    item = retry_dead(session=session, item_id=item_id, now=NOW + timedelta(hours=2))
    session.commit()
    assert (item.status, item.attempts, item.last_error) == ("pending", 0, "gone")
    assert _ids(claim_batch(session=session, now=NOW + timedelta(hours=2))) == [item_id]
    with pytest.raises(NotFound):
        retry_dead(session=session, item_id=item_id + 100)


def test_summary_counts_items_by_status(session: Session) -> None:
    assert outbox_summary(session=session) == {}
    ids = _queue(session, 4)
    mark_done(session=session, item_id=ids[0], now=NOW)
    mark_failed(session=session, item_id=ids[1], error="no", now=NOW, max_attempts=1)
    session.commit()
    assert outbox_summary(session=session) == {"pending": 2, "done": 1, "dead": 1}
