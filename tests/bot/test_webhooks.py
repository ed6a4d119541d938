"""Webhook deliveries through the real outbox worker to a receiver on loopback."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import insert
from sqlmodel import col, select

from bot.app import create_app
from bot.outbox import OutboxDispatcher, build_dispatcher, outbox_loop, run_once
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from qualification.lifecycle import Actor, StageEvent
from qualification.parsers.money import parse_money
from qualification.stages import Dimension, GivenBy
from storage.answers import record_answer
from storage.leads import get_lead, move_stage
from storage.models import OutboxItem, WebhookEndpoint
from storage.privacy import erase_by_email, erase_lead, erasure_log
from storage.secrets import SecretBox, generate_key
from storage.webhooks import DELIVER, add_endpoint, parse_events
from tests.bot.slack.signing import SECRET as SLACK_SIGNING_SECRET
from tests.bot.webhook_receiver import Receiver
from tests.factories import make_lead

KEY = generate_key()
SYSTEM = Actor.system("test")
README = Path(__file__).resolve().parents[2] / "README.md"


def readme_code() -> dict[str, Any]:
    """Run the Python blocks of the README's webhook section; returns what they define."""
    text = README.read_text()
    section = text[text.index("## CRM sync (webhooks)") : text.index("## Configuration")]
    namespace: dict[str, Any] = {}
    for block in re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL):
        exec(compile(block, str(README), "exec"), namespace)
    return namespace


DOCS = readme_code()
verify: Callable[..., bool] = DOCS["verify_baton_signature"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()


def _settings(database_url: str, **more: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "encryption_key": KEY,
        "outbox_worker": False,
        "webhook_timeout_seconds": 2.0,
    }
    return Settings(**{**values, **more})


@pytest.fixture
def runtime(database_url: str) -> Iterator[Runtime]:
    rt = build_runtime(_settings(database_url))
    yield rt
    rt.engine.dispose()


def _add(rt: Runtime, url: str, events: str = "*") -> tuple[int, str]:
    with rt.session() as session:
        endpoint, secret = add_endpoint(
            session=session, url=url, events=parse_events(events), box=SecretBox(KEY)
        )
        session.commit()
    assert endpoint.id is not None
    return endpoint.id, secret


def _lead_to_mql(rt: Runtime, **fields: Any) -> int:
    """A lead with a budget answer, moved new → MQL; returns its id."""
    with rt.session() as session:
        lead = make_lead(session, **fields)
        record_answer(
            session=session,
            lead=lead,
            dimension=Dimension.BUDGET,
            result=parse_money("about 50k a year"),
            raw_text="about 50k a year",
            given_by=GivenBy.PROSPECT,
        )
        move_stage(
            session=session, lead=lead, event=StageEvent.MARK_MQL, actor=SYSTEM, reason="fits"
        )
        session.commit()
        assert lead.id is not None
        return lead.id


def _move(rt: Runtime, lead_id: int, event: StageEvent) -> None:
    with rt.session() as session:
        lead = get_lead(session=session, lead_id=lead_id)
        move_stage(session=session, lead=lead, event=event, actor=SYSTEM, reason="next")
        session.commit()


def _deliveries(rt: Runtime) -> list[OutboxItem]:
    with rt.session() as session:
        query = select(OutboxItem).where(OutboxItem.topic == DELIVER).order_by(col(OutboxItem.id))
        return list(session.exec(query).all())


async def _drain(rt: Runtime, dispatcher: OutboxDispatcher, now: datetime | None = None) -> int:
    """Deliver until nothing is due (at `now`)."""
    delivered = 0
    while claimed := await run_once(runtime=rt, dispatcher=dispatcher, now=now):
        delivered += claimed
    return delivered


async def test_a_stage_change_is_posted_once_signed_with_the_endpoints_secret(
    runtime: Runtime, receiver: Receiver
) -> None:
    endpoint_id, secret = _add(runtime, receiver.url, "lead.stage_changed")
    lead_id = _lead_to_mql(runtime, name="Jane Doe", email="jane@acme.io", company_name="Acme")

    await _drain(runtime, build_dispatcher(runtime))
    (request,) = receiver.received()
    (item,) = _deliveries(runtime)
    assert item.status == "done" and item.attempts == 0 and item.delivered_at is not None

    assert request.path == "/hooks/baton"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["baton-event"] == "lead.stage_changed"
    assert request.headers["baton-delivery"] == str(item.id)
    signature = request.headers["baton-signature"]
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", signature)
    assert abs(int(signature[2:].split(",")[0]) - time.time()) < 60
    assert verify(secret, request.body, signature)  # the README's snippet
    assert not verify("whsec_another", request.body, signature)
    assert not verify(secret, request.body.replace(b"Jane", b"Joan"), signature)
    old = re.sub(r"t=\d+", f"t={int(time.time()) - 600}", signature)
    assert not verify(secret, request.body, old)

    body = request.json()
    assert body["delivery_id"] == item.id and body["event"] == "lead.stage_changed"
    data = body["data"]
    assert data["lead"]["id"] == lead_id and data["lead"]["email"] == "jane@acme.io"
    assert data["lead"]["company"]["name"] == "Acme" and data["lead"]["stage"] == "mql"
    assert data["stage_change"]["old_stage"] == "new"
    assert data["stage_change"]["new_stage"] == "mql"
    assert data["stage_change"]["reason"] == "fits"
    assert data["answers"]["budget"]["text"] == "about 50k a year"
    assert data["answers"]["budget"]["value"]["minimum"] == 50000
    with runtime.session() as session:
        score = get_lead(session=session, lead_id=lead_id).score
    assert data["score"]["total"] == score
    assert sum(data["score"]["by_category"].values()) == score
    assert body["event_id"] and body["occurred_at"]
    assert item.payload["endpoint_id"] == endpoint_id

    # Delivered once: nothing is left to send, now or later.
    later = datetime.now(UTC) + timedelta(days=1)
    assert await _drain(runtime, build_dispatcher(runtime), now=later) == 0
    assert len(receiver.received()) == 1


async def test_the_readme_mapping_turns_a_delivery_into_crm_fields(
    runtime: Runtime, receiver: Receiver
) -> None:
    _add(runtime, receiver.url)
    _lead_to_mql(runtime, name="Jane Doe", email="jane@acme.io", company_name="Acme")
    await _drain(runtime, build_dispatcher(runtime))
    body = receiver.received()[-1].json()
    hubspot = DOCS["to_hubspot"](body)["properties"]
    assert hubspot["lifecyclestage"] == "marketingqualifiedlead"
    assert hubspot["hs_lead_status"] == "OPEN" and hubspot["email"] == "jane@acme.io"
    assert hubspot["baton_budget"].startswith("USD 50,000")
    salesforce = DOCS["to_salesforce"](body)
    assert (salesforce["FirstName"], salesforce["LastName"]) == ("Jane", "Doe")
    assert salesforce["Status"] == "Open - Not Contacted" and salesforce["Company"] == "Acme"


async def test_each_endpoint_gets_only_the_events_it_asked_for(runtime: Runtime) -> None:
    stages, handoffs = Receiver(), Receiver()
    stages.start()
    handoffs.start()
    try:
        _add(runtime, stages.url, "lead.stage_changed")
        _add(runtime, handoffs.url, "handoff.decided,handoff.requested")
        lead_id = _lead_to_mql(runtime)
        _move(runtime, lead_id, StageEvent.ACCEPT)
        await _drain(runtime, build_dispatcher(runtime))
        assert [r.headers["baton-event"] for r in stages.received()] == [
            "lead.stage_changed",
            "lead.stage_changed",
        ]
        assert [r.json()["data"]["stage_change"]["new_stage"] for r in stages.received()] == [
            "mql",
            "sal",
        ]
        assert handoffs.received() == []
    finally:
        stages.stop()
        handoffs.stop()


async def test_a_receiver_that_fails_gets_the_delivery_again_later_and_once(
    runtime: Runtime, receiver: Receiver
) -> None:
    _add(runtime, receiver.url)
    _lead_to_mql(runtime)
    dispatcher = build_dispatcher(runtime)
    now = datetime.now(UTC)
    receiver.status = 500

    await run_once(runtime=runtime, dispatcher=dispatcher, now=now)
    (failed,) = _deliveries(runtime)
    assert (failed.status, failed.attempts) == ("pending", 1)
    assert failed.last_error is not None
    assert failed.last_error.startswith('WebhookFailed: HTTP 500 from 127.0.0.1: {"ok": false}')
    assert failed.next_attempt_at > now  # backing off
    assert await run_once(runtime=runtime, dispatcher=dispatcher, now=now) == 0
    assert len(receiver.received()) == 1

    receiver.status = 200
    assert await _drain(runtime, dispatcher, now=now + timedelta(minutes=5)) == 1
    (done,) = _deliveries(runtime)
    assert (done.status, done.attempts) == ("done", 1)
    first, second = receiver.received()
    assert (first.status, second.status) == (500, 200)
    assert first.headers["baton-delivery"] == second.headers["baton-delivery"] == str(done.id)
    assert first.body == second.body
    assert await _drain(runtime, dispatcher, now=now + timedelta(days=1)) == 0
    assert len(receiver.received()) == 2


async def test_an_endpoints_deliveries_catch_up_in_order_after_an_outage(
    runtime: Runtime, receiver: Receiver
) -> None:
    _add(runtime, receiver.url, "lead.stage_changed")
    lead_id = _lead_to_mql(runtime)
    _move(runtime, lead_id, StageEvent.ACCEPT)
    dispatcher = build_dispatcher(runtime)
    now = datetime.now(UTC)
    receiver.status = 503

    await run_once(runtime=runtime, dispatcher=dispatcher, now=now)
    first, second = _deliveries(runtime)
    assert (first.status, first.attempts) == ("pending", 1)
    # The second waited behind the first: not sent, no attempt used, due when the first is.
    assert (second.status, second.attempts, second.last_error) == ("pending", 0, None)
    assert second.next_attempt_at == first.next_attempt_at
    assert len(receiver.received()) == 1

    later = now + timedelta(minutes=1)
    assert await run_once(runtime=runtime, dispatcher=dispatcher, now=later) == 2
    assert len(receiver.received()) == 2  # the first again; the second still waits

    # A later event queued meanwhile waits too.
    _move(runtime, lead_id, StageEvent.RETURN_TO_NURTURE)
    receiver.status = 200
    await _drain(runtime, dispatcher, now=later + timedelta(hours=1))
    sent = [r.json()["data"]["stage_change"]["new_stage"] for r in receiver.received()]
    assert sent == ["mql", "mql", "mql", "sal", "nurture"]
    assert [(i.status, i.attempts) for i in _deliveries(runtime)] == [
        ("done", 2),
        ("done", 0),
        ("done", 0),
    ]


async def test_an_unreachable_receiver_is_retried_and_gives_up_after_the_last_attempt(
    runtime: Runtime,
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    _add(runtime, f"http://127.0.0.1:{port}/hooks")
    _lead_to_mql(runtime)
    dispatcher = build_dispatcher(runtime)
    now = datetime.now(UTC)
    for attempt in range(1, 21):
        await run_once(runtime=runtime, dispatcher=dispatcher, now=now)
        (item,) = _deliveries(runtime)
        assert item.attempts == attempt
        now = max(now, item.next_attempt_at)
    assert item.status == "dead"
    assert item.last_error is not None and "ClientConnectorError" in item.last_error


async def test_a_host_name_that_resolves_inside_the_network_is_refused_when_sending(
    runtime: Runtime, receiver: Receiver
) -> None:
    name = socket.gethostname()
    try:
        address = socket.gethostbyname(name)
    except OSError:
        pytest.skip("this machine's name does not resolve")
    if not address.startswith("127.") or name.lower() == "localhost":
        pytest.skip("this machine's name does not resolve to a loopback address")
    port = receiver.url.split(":")[2].split("/")[0]
    _add(runtime, f"https://{name}:{port}/hooks")  # a host name is checked when resolved
    _lead_to_mql(runtime)
    await run_once(runtime=runtime, dispatcher=build_dispatcher(runtime))
    (item,) = _deliveries(runtime)
    assert item.attempts == 1 and item.last_error is not None
    assert "not a public address" in item.last_error
    assert receiver.received() == []


async def test_a_stored_url_that_became_unsafe_is_not_requested(runtime: Runtime) -> None:
    with runtime.session() as session:  # as if added while private networks were allowed
        session.execute(
            insert(WebhookEndpoint).values(
                url="https://10.20.30.40/hooks",
                events=["*"],
                secret=SecretBox(KEY).encrypt("whsec_x"),
                active=True,
                description="",
                created_at=datetime.now(UTC),
            )
        )
        session.commit()
    _lead_to_mql(runtime)
    await run_once(runtime=runtime, dispatcher=build_dispatcher(runtime))
    (item,) = _deliveries(runtime)
    assert item.last_error is not None and "refused to send" in item.last_error
    assert "not a public address" in item.last_error


async def test_a_slow_receiver_times_out_without_holding_up_the_app(
    database_url: str, receiver: Receiver
) -> None:
    settings = _settings(database_url, outbox_worker=True, webhook_timeout_seconds=5.0)
    app = create_app(settings)
    rt: Runtime = app.state.runtime
    _add(rt, receiver.url, "lead.stage_changed")
    receiver.delay = 8.0
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://baton.test") as client,
    ):
        _lead_to_mql(rt)
        await receiver.wait_for(1)  # the worker is now waiting for the receiver's answer
        assert (await client.get("/health")).status_code == 200
        assert (await client.get("/version")).status_code == 200
        # Answered while the delivery is still waiting for the receiver (no attempt counted
        # yet): the app's requests do not queue behind it. (No wall-clock threshold: a pause of
        # the test process must not fail it, only an app that waits for the receiver.)
        (waiting,) = _deliveries(rt)
        assert waiting.attempts == 0 and waiting.last_error is None
        for _ in range(200):
            (item,) = _deliveries(rt)
            if item.attempts:
                break
            await asyncio.sleep(0.05)
    assert item.status == "pending" and item.attempts == 1
    assert item.last_error == "WebhookFailed: 127.0.0.1 did not answer within 5 s"

    receiver.delay = 0
    await _drain(rt, build_dispatcher(rt), now=datetime.now(UTC) + timedelta(minutes=5))
    (item,) = _deliveries(rt)
    assert (item.status, item.attempts) == ("done", 1)
    first, second = receiver.received()
    assert first.headers["baton-delivery"] == second.headers["baton-delivery"]
    rt.engine.dispose()


async def test_the_app_worker_delivers_webhooks_with_slack_on_or_off(
    database_url: str, receiver: Receiver
) -> None:
    with_slack = _settings(
        database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SLACK_SIGNING_SECRET,
        slack_api_url="http://127.0.0.1:9/api/",
    )
    for settings in (_settings(database_url), with_slack):
        rt = build_runtime(settings)
        assert build_dispatcher(rt).handler_for(DELIVER) is not None
        rt.engine.dispose()

    app = create_app(_settings(database_url, outbox_worker=True))
    rt = app.state.runtime
    _add(rt, receiver.url)
    async with app.router.lifespan_context(app):
        _lead_to_mql(rt)
        await receiver.wait_for(1)
        for _ in range(100):
            if _deliveries(rt)[0].status == "done":
                break
            await asyncio.sleep(0.05)
    assert _deliveries(rt)[0].status == "done"
    rt.engine.dispose()


async def test_the_loop_keeps_delivering_other_items_while_an_endpoint_fails(
    runtime: Runtime, receiver: Receiver
) -> None:
    down = Receiver(status=500)
    down.start()
    try:
        _add(runtime, down.url)
        _add(runtime, receiver.url)
        _lead_to_mql(runtime)
        stop = asyncio.Event()
        task = asyncio.create_task(
            outbox_loop(runtime, build_dispatcher(runtime), stop, interval=0.02)
        )
        await receiver.wait_for(1)
        await down.wait_for(1)
        stop.set()
        await asyncio.wait_for(task, timeout=5)
    finally:
        down.stop()
    states = {i.payload["endpoint_id"]: (i.status, i.attempts) for i in _deliveries(runtime)}
    assert sorted(states.values()) == [("done", 0), ("pending", 1)]


async def test_an_erasure_reaches_endpoints_subscribed_to_it_without_personal_data(
    runtime: Runtime, receiver: Receiver
) -> None:
    stages = Receiver()
    stages.start()
    try:
        erasures_id, secret = _add(runtime, receiver.url, "lead.erased")
        _add(runtime, stages.url, "lead.stage_changed")
        lead_id = _lead_to_mql(
            runtime, name="Jane Doe", email="jane@acme.io", company_name="Acme Erased"
        )
        with runtime.session() as session:
            report = erase_lead(session=session, lead_id=lead_id, actor=SYSTEM)
            # An address with no lead on file is scrubbed, but there is no lead to tell about.
            nobody = erase_by_email(session=session, email="jane@acme.io", actor=SYSTEM)
            session.commit()
        assert nobody.nothing_left
        await _drain(runtime, build_dispatcher(runtime))
    finally:
        stages.stop()

    (request,) = receiver.received()
    assert request.headers["baton-event"] == "lead.erased"
    assert verify(secret, request.body, request.headers["baton-signature"])
    body = request.json()
    assert body["event"] == "lead.erased" and body["event_id"] == report.audit_id
    with runtime.session() as session:
        (entry,) = erasure_log(session=session)
    assert body["data"] == {
        "lead": {"id": lead_id},
        "erasure": {"erased_at": entry["erased_at"], "removed": report.removed},
    }
    assert report.removed["answers"] == 1 and report.removed["lead_fields"] >= 3
    for personal in (b"Jane", b"jane@acme.io", b"Acme", b"50k"):
        assert personal not in request.body
    # The stage-change endpoint's pending delivery carried the person's data and went with the
    # erasure; it is not told of the erasure either, as it did not ask for that event.
    assert stages.received() == []
    (delivery,) = _deliveries(runtime)
    assert delivery.payload["event"] == "lead.erased" and delivery.status == "done"
    assert delivery.payload["endpoint_id"] == erasures_id
