"""Webhook endpoints, encrypted secrets and the fan-out of domain events, on a real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from qualification.errors import InvalidInput, NotFound
from qualification.lifecycle import Actor, StageEvent
from qualification.parsers.money import parse_money
from qualification.rules import default_rules
from qualification.stages import Dimension, GivenBy, HandoffStatus
from storage.answers import record_answer
from storage.handoffs import request_handoff
from storage.leads import move_stage
from storage.models import OutboxItem, WebhookEndpoint, utcnow
from storage.outbox_worker import DEAD, PENDING, mark_failed
from storage.secrets import GENERATE_COMMAND, EncryptionKeyError, SecretBox, generate_key
from storage.webhook_urls import check_url
from storage.webhooks import (
    DELIVER,
    add_endpoint,
    deliveries,
    earlier_pending,
    parse_events,
    queue_ping,
    set_active,
)
from tests.dialogs.helpers import QUALIFIED, build_engine, known_lead, run_to, start
from tests.factories import make_lead

KEY = generate_key()
BOX = SecretBox(KEY)
SYSTEM = Actor.system("test")


def _endpoint(session: Session, events: str = "*", url: str = "https://crm.example.com/in") -> int:
    endpoint, _secret = add_endpoint(session=session, url=url, events=parse_events(events), box=BOX)
    session.commit()
    assert endpoint.id is not None
    return endpoint.id


def _deliveries(session: Session) -> list[OutboxItem]:
    query = select(OutboxItem).where(OutboxItem.topic == DELIVER).order_by(col(OutboxItem.id))
    return list(session.exec(query).all())


# --- secrets -----------------------------------------------------------------------------


def test_the_secret_is_stored_encrypted_and_opens_with_the_key(session: Session) -> None:
    endpoint, secret = add_endpoint(
        session=session,
        url="https://crm.example.com/in",
        events=["lead.stage_changed"],
        box=BOX,
        description="HubSpot relay",
    )
    session.commit()
    assert secret.startswith("whsec_") and len(secret) > 40
    raw = session.execute(
        text("SELECT secret FROM webhook_endpoints WHERE id = :id"), {"id": endpoint.id}
    ).scalar_one()
    assert secret not in raw and secret.removeprefix("whsec_") not in raw
    assert BOX.decrypt(raw) == secret
    with pytest.raises(EncryptionKeyError, match="does not decrypt"):
        SecretBox(generate_key()).decrypt(raw)
    # Rotation: the new key first, the old one after it; both open what the old one sealed.
    rotated = SecretBox(f"{generate_key()},{KEY}")
    assert rotated.decrypt(raw) == secret
    with pytest.raises(EncryptionKeyError):  # what it seals, it seals with the new key
        BOX.decrypt(rotated.encrypt(secret))


def test_without_a_key_nothing_can_be_encrypted_and_the_message_says_how_to_make_one() -> None:
    with pytest.raises(EncryptionKeyError) as missing:
        SecretBox(None)
    assert "BATON_ENCRYPTION_KEY" in str(missing.value)
    assert GENERATE_COMMAND in str(missing.value)
    with pytest.raises(EncryptionKeyError, match="not a valid key"):
        SecretBox("not-a-key")


# --- endpoints -----------------------------------------------------------------------------


def test_events_are_checked_by_name() -> None:
    assert parse_events("lead.stage_changed, handoff.decided") == [
        "lead.stage_changed",
        "handoff.decided",
    ]
    assert parse_events("*") == ["*"]
    assert parse_events("handoff.decided,*") == ["*"]
    with pytest.raises(InvalidInput, match="unknown event lead.deleted"):
        parse_events("lead.deleted")
    with pytest.raises(InvalidInput):
        parse_events(" , ")


@pytest.mark.parametrize(
    ("url", "allow_private"),
    [
        ("https://crm.example.com/hooks", False),
        ("http://localhost:9000/hooks", False),
        ("http://127.0.0.1:9000/hooks", False),
        ("http://[::1]:9000/hooks", False),
        ("https://10.1.2.3/hooks", True),
        ("https://93.184.215.14/hooks", False),
    ],
)
def test_urls_that_are_accepted(url: str, allow_private: bool) -> None:
    assert check_url(url, allow_private=allow_private) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://crm.example.com/hooks", "must use https"),
        ("ftp://crm.example.com/hooks", "must look like"),
        ("crm.example.com/hooks", "must look like"),
        ("https://user:pw@crm.example.com/hooks", "no credentials"),
        ("https://10.1.2.3/hooks", "not a public address"),
        ("https://192.168.0.10/hooks", "not a public address"),
        ("https://169.254.169.254/latest/meta-data", "not a public address"),
        ("https://[fe80::1]/hooks", "not a public address"),
        ("https://[::ffff:10.0.0.1]/hooks", "not a public address"),
        ("https://0.0.0.0/hooks", "not a public address"),
        ("https://crm.example.com:99999/hooks", "not a valid URL"),
    ],
)
def test_urls_that_are_refused(url: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        check_url(url, allow_private=False)


def test_link_local_stays_refused_when_private_networks_are_allowed() -> None:
    with pytest.raises(InvalidInput):
        check_url("https://169.254.169.254/", allow_private=True)


def test_a_refused_url_stores_nothing(session: Session) -> None:
    with pytest.raises(InvalidInput):
        add_endpoint(session=session, url="http://crm.example.com", events=["*"], box=BOX)
    session.rollback()
    assert session.exec(select(WebhookEndpoint)).all() == []


# --- fan-out ---------------------------------------------------------------------------------


def test_a_stage_change_queues_one_delivery_per_subscribed_active_endpoint(
    session: Session,
) -> None:
    wants_stages = _endpoint(session, "lead.stage_changed")
    everything = _endpoint(session, "*")
    _endpoint(session, "handoff.decided")
    disabled = _endpoint(session, "*")
    set_active(session=session, endpoint_id=disabled, active=False)
    session.commit()

    lead = make_lead(session, name="Jane Doe", email="jane@acme.io", company_name="Acme")
    record_answer(
        session=session,
        lead=lead,
        dimension=Dimension.BUDGET,
        result=parse_money("about 50k a year"),
        raw_text="about 50k a year",
        given_by=GivenBy.PROSPECT,
    )
    change = move_stage(
        session=session, lead=lead, event=StageEvent.MARK_MQL, actor=SYSTEM, reason="fits"
    )
    session.commit()

    items = _deliveries(session)
    assert [item.payload["endpoint_id"] for item in items] == [wants_stages, everything]
    event = session.exec(select(OutboxItem).where(OutboxItem.topic == "lead.stage_changed")).one()
    for item in items:
        assert item.kind == "webhook" and item.status == PENDING
        assert item.dedupe_key == f"webhook:{item.payload['endpoint_id']}:{event.id}"
    body = items[0].payload
    assert body["event"] == "lead.stage_changed" and body["event_id"] == event.id
    data = body["data"]
    assert data["lead"]["email"] == "jane@acme.io" and data["lead"]["name"] == "Jane Doe"
    assert data["lead"]["company"]["name"] == "Acme"
    assert data["lead"]["stage"] == "mql"
    assert data["stage_change"] == {
        "old_stage": "new",
        "new_stage": "mql",
        "event": "mark_mql",
        "actor": str(SYSTEM),
        "reason": "fits",
        "changed_at": change.at.isoformat(),
    }
    budget = data["answers"]["budget"]
    assert budget["text"] == "about 50k a year" and budget["status"] == "ok"
    assert budget["value"]["minimum"] == 50000 and budget["given_by"] == "prospect"
    assert data["score"]["total"] == lead.score
    assert set(data["score"]["by_category"]) == {"fit", "behaviour", "bant", "decay"}
    assert sum(data["score"]["by_category"].values()) == lead.score
    assert sum(rule["points"] for rule in data["score"]["rules"]) == lead.score


def test_the_body_is_what_was_true_when_the_event_happened(session: Session) -> None:
    _endpoint(session, "lead.stage_changed")
    lead = make_lead(session, name="Jane Doe")
    move_stage(session=session, lead=lead, event=StageEvent.MARK_MQL, actor=SYSTEM, reason="r")
    session.commit()
    lead.name = "Jane Smith"
    session.add(lead)
    move_stage(session=session, lead=lead, event=StageEvent.ACCEPT, actor=SYSTEM, reason="r")
    session.commit()
    names = [item.payload["data"]["lead"]["name"] for item in _deliveries(session)]
    stages = [item.payload["data"]["lead"]["stage"] for item in _deliveries(session)]
    assert names == ["Jane Doe", "Jane Smith"] and stages == ["mql", "sal"]


def test_a_rolled_back_change_queues_no_delivery(session: Session) -> None:
    _endpoint(session)
    lead = make_lead(session)
    move_stage(session=session, lead=lead, event=StageEvent.MARK_MQL, actor=SYSTEM, reason="r")
    assert len(_deliveries(session)) == 1
    session.rollback()
    assert _deliveries(session) == []


def test_events_nobody_subscribes_to_and_no_endpoints_queue_nothing(session: Session) -> None:
    lead = make_lead(session)  # lead.created: not a webhook event
    move_stage(session=session, lead=lead, event=StageEvent.MARK_MQL, actor=SYSTEM, reason="r")
    session.commit()
    _endpoint(session, "handoff.decided")
    make_lead(session)
    assert _deliveries(session) == []


def test_handoff_request_and_decision_carry_the_handoff(session: Session) -> None:
    _endpoint(session, "handoff.requested,handoff.decided")
    lead = make_lead(session)
    move_stage(session=session, lead=lead, event=StageEvent.MARK_MQL, actor=SYSTEM, reason="r")
    move_stage(session=session, lead=lead, event=StageEvent.ACCEPT, actor=SYSTEM, reason="r")
    request = request_handoff(session=session, lead=lead, actor=SYSTEM, rules=default_rules())
    session.commit()
    # Leaving SAL any other way cancels the request, which is announced as a decision.
    move_stage(
        session=session, lead=lead, event=StageEvent.RETURN_TO_NURTURE, actor=SYSTEM, reason="no"
    )
    session.commit()
    items = _deliveries(session)
    assert [item.payload["event"] for item in items] == ["handoff.requested", "handoff.decided"]
    requested, decided = (item.payload["data"]["handoff"] for item in items)
    assert requested["id"] == decided["id"] == request.id
    assert requested["status"] == HandoffStatus.PENDING.value
    assert decided["status"] == HandoffStatus.CANCELLED.value
    assert decided["comment"].startswith("lead moved to nurture")


def test_a_completed_qualification_is_an_event_with_its_outcome(session: Session) -> None:
    _endpoint(session, "conversation.completed")
    engine = build_engine()
    lead = known_lead(session)
    prompt = start(engine, session, lead)
    prompt = run_to(
        engine, session, prompt, {**QUALIFIED, "team_size": "250", "current_tool": "crm"}
    )
    assert prompt.done and prompt.outcome is not None
    (item,) = _deliveries(session)
    data = item.payload["data"]
    assert item.payload["event"] == "conversation.completed"
    assert data["conversation"]["id"] == prompt.conversation_id
    assert data["conversation"]["channel"] == "web"
    assert data["conversation"]["outcome"] == prompt.outcome.to_json()
    assert set(data["answers"]) == {"budget", "authority", "need", "timeline"}
    assert data["lead"]["stage"] == prompt.outcome.stage.value


# --- the delivery log ------------------------------------------------------------------------


def test_an_endpoints_deliveries_wait_for_the_earliest_one_still_pending(
    session: Session,
) -> None:
    first = _endpoint(session)
    other = _endpoint(session)
    endpoint = session.get(WebhookEndpoint, first)
    assert endpoint is not None
    ping = queue_ping(session=session, endpoint=endpoint)
    lead = make_lead(session)
    move_stage(session=session, lead=lead, event=StageEvent.MARK_MQL, actor=SYSTEM, reason="r")
    move_stage(session=session, lead=lead, event=StageEvent.ACCEPT, actor=SYSTEM, reason="r")
    session.commit()
    _ping, a1, b1, a2, b2 = _deliveries(session)
    assert [i.payload["endpoint_id"] for i in (a1, b1, a2, b2)] == [first, other, first, other]
    # A pending ping holds nothing up; an endpoint's earlier delivery does; other endpoints'
    # deliveries do not.
    assert earlier_pending(session=session, item=a1) is None
    assert earlier_pending(session=session, item=a2) == a1
    assert earlier_pending(session=session, item=b2) == b1
    mark_failed(session=session, item_id=a1.id or 0, error="HTTP 500", now=utcnow(), max_attempts=1)
    session.commit()
    assert earlier_pending(session=session, item=a2) is None  # a dead one is given up
    assert [i.id for i in deliveries(session=session, endpoint_id=first)] == [
        a2.id,
        a1.id,
        ping.id,
    ]
    assert [i.id for i in deliveries(session=session, endpoint_id=other)] == [b2.id, b1.id]
    assert len(deliveries(session=session)) == 5
    assert deliveries(session=session, endpoint_id=first, limit=1) == [a2]


def test_disabling_an_endpoint_ends_its_waiting_deliveries(session: Session) -> None:
    endpoint = _endpoint(session)
    keeps = _endpoint(session)
    lead = make_lead(session)
    move_stage(session=session, lead=lead, event=StageEvent.MARK_MQL, actor=SYSTEM, reason="r")
    session.commit()
    _endpoint_row, ended = set_active(session=session, endpoint_id=endpoint, active=False)
    session.commit()
    assert ended == 1
    by_endpoint = {i.payload["endpoint_id"]: i for i in _deliveries(session)}
    session.refresh(by_endpoint[endpoint])
    assert by_endpoint[endpoint].status == DEAD
    assert by_endpoint[endpoint].last_error == "endpoint disabled before delivery"
    assert by_endpoint[keeps].status == PENDING
    move_stage(session=session, lead=lead, event=StageEvent.ACCEPT, actor=SYSTEM, reason="r")
    session.commit()
    assert [i.payload["endpoint_id"] for i in _deliveries(session)][-1:] == [keeps]
    assert len(_deliveries(session)) == 3
    with pytest.raises(NotFound):
        set_active(session=session, endpoint_id=999, active=True)


def test_a_ping_is_leased_to_whoever_sends_it(session: Session) -> None:
    endpoint = session.get(WebhookEndpoint, _endpoint(session))
    assert endpoint is not None
    ping = queue_ping(session=session, endpoint=endpoint)
    session.commit()
    assert ping.payload["event"] == "ping" and ping.payload["event_id"] is None
    assert ping.next_attempt_at > utcnow() + timedelta(seconds=30)
