"""Slack's 200 never waits for the work a listener leaves for after it (bot.slack.lanes).

Each test holds that work up (a Web API call Slack does not answer yet, a database another
connection has locked, a job waiting on an event) and checks what has and has not happened when
the 200 arrives: the order of things, never how long they took.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from bot.slack.app import web_client
from bot.slack.lanes import DATABASE_UNAVAILABLE, IN_FLIGHT, Lanes
from qualification.errors import NotFound
from qualification.stages import Dimension, HandoffStatus
from storage.answers import current_answers
from storage.db import read_session
from storage.models import HandoffRequest, Message
from tests.bot.slack.cards import requested
from tests.bot.slack.conftest import SlackBaton, listeners_done
from tests.bot.slack.signing import (
    FORM,
    JSON,
    block_action,
    command_body,
    event_body,
    interaction_body,
    send,
)
from tests.bot.slack.test_conversation import ANSWERS, message
from tests.factories import make_lead, make_user


async def test_a_command_is_acknowledged_while_its_modal_is_still_opening(
    baton: SlackBaton,
) -> None:
    with baton.runtime.session() as session:
        make_user(session, slack_user_id="USDR")
        make_lead(session, email="dana@acme.io", name="Dana Scully")
    gate = baton.slack.hold("views.open")
    try:
        response = await send(baton.client, command_body("USDR", "dana@acme.io"), FORM)
        assert response.status_code == 200 and response.text == ""
        # The work after the ack has reached Slack, which has not answered it: the 200 came
        # back without waiting for it.
        (opening,) = await baton.slack.wait_for("views.open")
        assert not opening.answered
    finally:
        gate.set()
    await listeners_done()
    assert opening.answered and opening.ok
    assert opening.params["view"]["callback_id"] == "qualify"


async def test_commands_are_acknowledged_while_every_worker_is_busy(baton: SlackBaton) -> None:
    """More commands than the lane runs at once: the ones beyond wait their turn after
    their 200, and every modal opens once Slack answers."""
    count = IN_FLIGHT + 3
    with baton.runtime.session() as session:
        for n in range(count):
            make_user(session, slack_user_id=f"USDR{n}")
    gate = baton.slack.hold("views.open")
    try:
        for n in range(count):
            response = await send(baton.client, command_body(f"USDR{n}", "someone new"), FORM)
            assert response.status_code == 200
        held = await baton.slack.wait_for("views.open", IN_FLIGHT)
        assert not any(call.answered for call in held)
    finally:
        gate.set()
    await listeners_done()
    opened = baton.slack.of("views.open")
    assert sorted(call.params["trigger_id"] for call in opened) == sorted(
        f"trigger-USDR{n}" for n in range(count)
    )
    assert all(call.answered and call.ok for call in opened)


@contextmanager
def database_locked(baton: SlackBaton) -> Iterator[None]:
    """Another connection holds what the approval needs: SQLite's write lock, or on
    PostgreSQL the users table (which every Slack action reads first)."""
    with baton.runtime.engine.connect() as holder:
        with holder.begin():  # on SQLite: BEGIN IMMEDIATE, the write lock
            if holder.dialect.name == "postgresql":
                holder.exec_driver_sql("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
            yield


async def test_an_approval_is_acknowledged_before_the_database_lets_it_through(
    baton: SlackBaton,
) -> None:
    _, request, card = await requested(baton)
    click = block_action("UBOSS", "handoff_approve", str(request.id), ts=card.ts)
    with database_locked(baton):
        response = await send(baton.client, interaction_body(click), FORM)
        assert response.status_code == 200
        with read_session(baton.runtime.engine) as session:  # reads beside the lock
            pending = session.get(HandoffRequest, request.id)
            assert pending is not None and pending.status is HandoffStatus.PENDING
    await listeners_done()
    with baton.runtime.session() as session:
        decided = session.get(HandoffRequest, request.id)
        assert decided is not None and decided.status is HandoffStatus.APPROVED
    assert baton.slack.of("chat.postEphemeral") == []  # nothing refused, nothing failed


async def test_a_dm_answer_is_stored_before_the_200_and_answered_after(
    baton: SlackBaton,
) -> None:
    """The one kind of work done before the 200: the answer is committed, then Slack gets
    its 200, then the reply goes out."""
    with baton.runtime.session() as session:
        make_user(session, slack_user_id="USDR")
        lead = make_lead(session, email="dana@acme.io", name="Dana Scully")
    start = message("USDR", "qualify dana@acme.io")
    assert (await send(baton.client, event_body("EvStart", start), JSON)).status_code == 200
    await baton.slack.wait_for("chat.postMessage")
    await listeners_done()

    gate = baton.slack.hold("chat.postMessage")
    try:
        answer = message("USDR", ANSWERS["need"], thread_ts=start["ts"])
        response = await send(baton.client, event_body("EvAnswer", answer), JSON)
        assert response.status_code == 200
        with baton.runtime.session() as session:
            assert Dimension.NEED in current_answers(session=session, lead_id=lead.id or 0)
            texts = session.exec(select(Message.text)).all()
            assert ANSWERS["need"] in texts
        posts = await baton.slack.wait_for("chat.postMessage", 2)
        assert not posts[1].answered
    finally:
        gate.set()
    await listeners_done()
    assert posts[1].answered and posts[1].params["thread_ts"] == start["ts"]


# --- the lane itself ---------------------------------------------------------------------------


class HeldJob:
    """A job that runs until let go, and says when it started."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log
        self.started = asyncio.Event()
        self.go = asyncio.Event()

    async def __call__(self) -> None:
        self.log.append(self.name)
        self.started.set()
        await self.go.wait()


async def _settle() -> None:
    """Let every task that can run, run (a few loop iterations; no clock involved)."""
    for _ in range(20):
        await asyncio.sleep(0)


BODY: dict[str, Any] = {"user": {"id": "USDR"}, "channel": {"id": "CSDR"}}


async def test_a_full_backlog_pushes_back_and_lets_waiters_in_first_come_first_served(
    baton: SlackBaton,
) -> None:
    lanes = Lanes(baton.runtime, in_flight=1, backlog=1)
    client = web_client(baton.runtime.settings)
    log: list[str] = []
    jobs = {name: HeldJob(name, log) for name in "abcd"}
    await lanes.after_ack(jobs["a"], body=BODY, client=client)  # runs
    await jobs["a"].started.wait()
    await lanes.after_ack(jobs["b"], body=BODY, client=client)  # waits in the backlog
    third = asyncio.create_task(lanes.after_ack(jobs["c"], body=BODY, client=client))
    await _settle()
    fourth = asyncio.create_task(lanes.after_ack(jobs["d"], body=BODY, client=client))
    await _settle()
    assert not third.done() and not fourth.done()  # no room: the callers wait
    assert log == ["a"]

    jobs["a"].go.set()  # a ends, b starts: one place frees, and the first waiter takes it
    await jobs["b"].started.wait()
    await _settle()
    assert third.done() and not fourth.done()
    for name in "bcd":
        jobs[name].go.set()
    await fourth
    await lanes.drain()
    assert log == ["a", "b", "c", "d"]


async def test_a_refused_job_is_explained_and_a_failed_database_is_told(
    baton: SlackBaton, caplog: pytest.LogCaptureFixture
) -> None:
    lanes = Lanes(baton.runtime)
    client = web_client(baton.runtime.settings)

    async def refused() -> None:
        raise NotFound("no handoff request #7")

    async def database_down() -> None:
        raise OperationalError("SELECT 1", {}, Exception("unable to open database file"))

    caplog.set_level(logging.ERROR, logger="baton.slack")
    await lanes.after_ack(refused, body=BODY, client=client)
    await lanes.after_ack(database_down, body=BODY, client=client)
    await lanes.drain()
    told = baton.slack.of("chat.postEphemeral")  # the two jobs ran side by side
    assert {(c.params["channel"], c.params["user"]) for c in told} == {("CSDR", "USDR")}
    assert sorted(c.params["text"] for c in told) == [
        DATABASE_UNAVAILABLE,
        "That didn't work: no handoff request #7. Nothing was changed.",
    ]
    assert "Slack listener failed: OperationalError" in caplog.text


async def test_no_job_starts_while_a_request_is_on_its_way_to_its_200(baton: SlackBaton) -> None:
    lanes = Lanes(baton.runtime, max_defer=3600)
    log: list[str] = []
    job = HeldJob("a", log)
    job.go.set()
    with lanes.acking():
        await lanes.after_ack(job, body=BODY, client=web_client(baton.runtime.settings))
        await _settle()
        assert log == []  # queued behind the request's 200
    await job.started.wait()
    await lanes.drain()
    assert log == ["a"]


async def test_a_request_waiting_for_room_lets_the_work_go_on(baton: SlackBaton) -> None:
    """With the backlog full, requests wait for the work, so the work may not wait for them."""
    lanes = Lanes(baton.runtime, in_flight=1, backlog=1, max_defer=3600)
    client = web_client(baton.runtime.settings)
    log: list[str] = []
    first, second = HeldJob("a", log), HeldJob("b", log)
    with lanes.acking():
        await lanes.after_ack(first, body=BODY, client=client)  # fills the backlog
        await _settle()
        assert log == []
        # The next request must wait for room, so a starts (and, started, leaves room for b).
        await lanes.after_ack(second, body=BODY, client=client)
        assert log == ["a"]
        first.go.set()
        await _settle()
        assert log == ["a"]  # b waits for the 200 again, now that nobody waits for room
    await second.started.wait()
    second.go.set()
    await lanes.drain()
    assert log == ["a", "b"]


async def test_a_job_defers_to_requests_in_progress_for_a_limited_time(baton: SlackBaton) -> None:
    """A request stuck before its 200 does not hold the work up past `max_defer`."""
    lanes = Lanes(baton.runtime, max_defer=0)
    log: list[str] = []
    job = HeldJob("a", log)
    job.go.set()
    with lanes.acking():
        await lanes.after_ack(job, body=BODY, client=web_client(baton.runtime.settings))
        await job.started.wait()  # while the request is still in progress
    await lanes.drain()
    assert log == ["a"]
