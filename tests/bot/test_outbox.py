"""The outbox worker of an app process, and `baton outbox`, against a real database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from bot.app import create_app
from bot.outbox import OutboxDispatcher, outbox_loop, run_once
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from storage.models import OutboxItem
from storage.outbox import EVENT, enqueue
from storage.outbox_worker import mark_failed
from tests.bot.test_cli import baton

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def runtime(database_url: str) -> Iterator[Runtime]:
    rt = build_runtime(Settings(database_url=database_url, outbox_worker=False))
    yield rt
    rt.engine.dispose()


def _queue(rt: Runtime, topic: str, *, due: datetime = NOW) -> int:
    with rt.session() as session:
        item = enqueue(session=session, kind=EVENT, topic=topic, payload={"lead_id": 7})
        item.next_attempt_at = due
        session.commit()
        assert item.id is not None
        return item.id


def _item(rt: Runtime, item_id: int) -> OutboxItem:
    with rt.session() as session:
        item = session.get(OutboxItem, item_id)
        assert item is not None
        return item


class Flaky:
    """A handler that fails its first `failures` calls, then records each delivery."""

    def __init__(self, failures: int = 1) -> None:
        self.failures = failures
        self.calls = 0
        self.delivered: list[dict[str, object]] = []

    async def __call__(self, _runtime: Runtime, item: OutboxItem) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("slack unreachable")
        self.delivered.append(item.payload)


async def test_a_handler_that_fails_once_delivers_exactly_once(runtime: Runtime) -> None:
    item_id = _queue(runtime, "lead.hot")
    handler = Flaky(failures=1)
    dispatcher = OutboxDispatcher()
    dispatcher.register("lead.hot", handler)

    assert await run_once(runtime=runtime, dispatcher=dispatcher, now=NOW) == 1
    failed = _item(runtime, item_id)
    assert (failed.status, failed.attempts) == ("pending", 1)
    assert failed.last_error == "ConnectionError: slack unreachable"
    # Backing off: not due again right away.
    assert await run_once(runtime=runtime, dispatcher=dispatcher, now=NOW) == 0

    later = NOW + timedelta(hours=2)
    assert await run_once(runtime=runtime, dispatcher=dispatcher, now=later) == 1
    assert (
        await run_once(runtime=runtime, dispatcher=dispatcher, now=later + timedelta(days=1)) == 0
    )
    assert handler.delivered == [{"lead_id": 7}]
    done = _item(runtime, item_id)
    assert (done.status, done.delivered_at) == ("done", later)


async def test_items_without_a_handler_are_done_without_action(runtime: Runtime) -> None:
    handler = Flaky(failures=0)
    dispatcher = OutboxDispatcher()
    dispatcher.register("lead.hot", handler)
    other = _queue(runtime, "lead.created")
    assert await run_once(runtime=runtime, dispatcher=dispatcher, now=NOW) == 1
    assert _item(runtime, other).status == "done"
    assert handler.calls == 0


async def test_a_batch_costs_one_transaction_plus_one_per_delivered_item(
    runtime: Runtime,
) -> None:
    """Domain events nobody subscribes to are settled in the claim's own transaction: a worker
    keeping up with busy chats must not queue for the database once per such event."""
    handler = Flaky(failures=0)
    dispatcher = OutboxDispatcher()
    dispatcher.register("lead.hot", handler)
    quiet = [_queue(runtime, "lead.created") for _ in range(5)]
    hot = _queue(runtime, "lead.hot")
    commits: list[object] = []
    count = commits.append  # one bound method, so that it can be removed again
    event.listen(runtime.engine, "commit", count)
    try:
        assert await run_once(runtime=runtime, dispatcher=dispatcher, now=NOW) == 6
    finally:
        event.remove(runtime.engine, "commit", count)
    assert len(commits) == 2  # the claim (settling the five), then the one delivery
    assert [_item(runtime, i).status for i in quiet] == ["done"] * 5
    assert {_item(runtime, i).delivered_at for i in quiet} == {NOW}
    assert _item(runtime, hot).status == "done" and handler.delivered == [{"lead_id": 7}]


async def test_the_loop_survives_failing_handlers_and_stops_cleanly(runtime: Runtime) -> None:
    now = datetime.now(UTC)
    broken = _queue(runtime, "lead.broken", due=now)
    handler = Flaky(failures=0)
    dispatcher = OutboxDispatcher()
    dispatcher.register("lead.hot", handler)

    async def explode(_runtime: Runtime, _item: OutboxItem) -> None:
        raise RuntimeError("bad template")

    dispatcher.register("lead.broken", explode)
    stop = asyncio.Event()
    task = asyncio.create_task(outbox_loop(runtime, dispatcher, stop, interval=0.02))
    for _ in range(250):
        if _item(runtime, broken).attempts:
            break
        await asyncio.sleep(0.02)
    assert _item(runtime, broken).last_error == "RuntimeError: bad template"
    # Still running: an item queued after the failure is delivered.
    _queue(runtime, "lead.hot", due=datetime.now(UTC))
    for _ in range(250):
        if handler.delivered:
            break
        await asyncio.sleep(0.02)
    assert handler.delivered == [{"lead_id": 7}]
    stop.set()
    await asyncio.wait_for(task, timeout=5)


async def test_the_app_runs_the_worker_for_its_lifetime_unless_turned_off(
    database_url: str,
) -> None:
    quiet = create_app(Settings(database_url=database_url, outbox_worker=False))
    rt: Runtime = quiet.state.runtime
    item_id = _queue(rt, "lead.created", due=datetime.now(UTC))
    async with quiet.router.lifespan_context(quiet):
        await asyncio.sleep(0.2)
    assert _item(rt, item_id).status == "pending"
    quiet.state.runtime.engine.dispose()

    app = create_app(Settings(database_url=database_url))
    async with app.router.lifespan_context(app):
        for _ in range(250):
            if _item(rt, item_id).status == "done":
                break
            await asyncio.sleep(0.02)
    assert _item(rt, item_id).status == "done"
    app.state.runtime.engine.dispose()


def test_cli_shows_dead_items_and_retries_them(database_url: str) -> None:
    rt = build_runtime(Settings(database_url=database_url))
    delivered = _queue(rt, "lead.created")
    dead = _queue(rt, "lead.hot")
    with rt.session() as session:
        mark_failed(
            session=session, item_id=dead, error="HTTP 500 from Slack", now=NOW, max_attempts=1
        )
        session.commit()
    rt.engine.dispose()

    summary = baton("outbox", database_url=database_url).stdout
    assert "pending  1" in summary and "dead     1" in summary and "done     0" in summary
    assert f"#{dead}  lead.hot  1 attempts  HTTP 500 from Slack" in summary
    assert f"#{delivered} " not in summary

    retried = baton("outbox", "retry", str(dead), database_url=database_url)
    assert f"outbox item {dead} (lead.hot) is pending again" in retried.stdout
    assert "pending  2" in baton("outbox", database_url=database_url).stdout

    again = baton("outbox", "retry", str(dead), database_url=database_url, check=False)
    assert again.returncode != 0
    assert "not dead" in again.stderr
