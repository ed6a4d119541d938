"""`baton webhook`, run as a real process against a real database and a receiver on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from bot.runtime import build_runtime
from bot.settings import Settings
from qualification.lifecycle import Actor, StageEvent
from storage.db import create_db_engine
from storage.leads import move_stage
from storage.models import OutboxItem
from storage.secrets import GENERATE_COMMAND, generate_key
from storage.webhooks import DELIVER
from tests.bot.test_cli import baton
from tests.bot.test_webhooks import verify
from tests.bot.webhook_receiver import Receiver
from tests.factories import make_lead

KEY = generate_key()
ENV = {"BATON_ENCRYPTION_KEY": KEY}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.start()
    yield server
    server.stop()


def _raw_secrets(database_url: str) -> list[str]:
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT secret FROM webhook_endpoints")).scalars())
    finally:
        engine.dispose()


def _stage_change(database_url: str) -> None:
    rt = build_runtime(Settings(database_url=database_url))
    with rt.session() as session:
        lead = make_lead(session)
        move_stage(
            session=session,
            lead=lead,
            event=StageEvent.MARK_MQL,
            actor=Actor.system("test"),
            reason="fits",
        )
        session.commit()
    rt.engine.dispose()


def _deliveries(database_url: str) -> list[OutboxItem]:
    rt = build_runtime(Settings(database_url=database_url))
    with rt.session() as session:
        items = list(
            session.exec(
                select(OutboxItem).where(OutboxItem.topic == DELIVER).order_by(col(OutboxItem.id))
            ).all()
        )
    rt.engine.dispose()
    return items


def test_add_refuses_without_an_encryption_key_and_says_how_to_make_one(
    database_url: str,
) -> None:
    refused = baton(
        "webhook",
        "add",
        "https://crm.example.com/hooks",
        database_url=database_url,
        check=False,
        env={"BATON_ENCRYPTION_KEY": ""},
    )
    assert refused.returncode == 2
    assert "BATON_ENCRYPTION_KEY" in refused.stderr and GENERATE_COMMAND in refused.stderr
    assert refused.stdout == ""
    assert _raw_secrets(database_url) == []
    malformed = baton(
        "webhook",
        "list",
        database_url=database_url,
        check=False,
        env={"BATON_ENCRYPTION_KEY": "changeme"},
    )
    assert malformed.returncode == 2 and "is not a valid key" in malformed.stderr
    assert "changeme" not in malformed.stderr


def test_add_prints_the_secret_once_and_stores_it_encrypted(
    database_url: str, receiver: Receiver
) -> None:
    added = baton(
        "webhook",
        "add",
        receiver.url,
        "--events",
        "lead.stage_changed,handoff.decided",
        "--description",
        "HubSpot relay",
        database_url=database_url,
        env=ENV,
    )
    secret = added.stdout.strip()
    assert secret.startswith("whsec_") and "\n" not in secret
    assert "shown only this once" in added.stderr
    (raw,) = _raw_secrets(database_url)
    assert secret not in raw and secret.removeprefix("whsec_") not in raw

    listed = baton("webhook", "list", database_url=database_url, env=ENV).stdout
    assert listed.strip() == (
        f"1  active    {receiver.url}  [lead.stage_changed, handoff.decided]  HubSpot relay"
    )
    assert secret not in listed

    # The ping is signed with that secret, and is in the delivery log.
    tested = baton("webhook", "test", "1", database_url=database_url, env=ENV)
    assert "delivered to" in tested.stdout and "HTTP 200" in tested.stdout
    (ping,) = receiver.received()
    assert ping.headers["baton-event"] == "ping"
    assert verify(secret, ping.body, ping.headers["baton-signature"])
    assert ping.json()["data"]["endpoint_id"] == 1
    log = baton("webhook", "deliveries", database_url=database_url, env=ENV).stdout
    assert f"#{ping.headers['baton-delivery']}" in log and "ping  done" in log


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["http://crm.example.com/hooks"], "must use https"),
        (["https://169.254.169.254/latest"], "not a public address"),
        (["https://crm.example.com/hooks", "--events", "lead.deleted"], "unknown event"),
    ],
)
def test_add_refuses_bad_urls_and_events(database_url: str, args: list[str], message: str) -> None:
    refused = baton("webhook", "add", *args, database_url=database_url, check=False, env=ENV)
    assert refused.returncode == 1 and message in refused.stderr
    assert _raw_secrets(database_url) == []


def test_a_failing_ping_says_why_and_is_logged_dead(database_url: str, receiver: Receiver) -> None:
    baton("webhook", "add", receiver.url, database_url=database_url, env=ENV)
    receiver.status = 500
    failed = baton("webhook", "test", "1", database_url=database_url, check=False, env=ENV)
    assert failed.returncode == 1
    assert "failed: HTTP 500 from 127.0.0.1" in failed.stderr
    (item,) = _deliveries(database_url)
    assert (item.status, item.attempts) == ("dead", 1)
    log = baton("webhook", "deliveries", "--endpoint", "1", database_url=database_url).stdout
    assert "ping  dead  1 failed attempt(s)  last error: HTTP 500 from 127.0.0.1" in log

    # Without the key the secret cannot be opened: the ping fails and says so.
    keyless = baton(
        "webhook",
        "test",
        "1",
        database_url=database_url,
        check=False,
        env={"BATON_ENCRYPTION_KEY": ""},
    )
    assert keyless.returncode == 1 and "BATON_ENCRYPTION_KEY" in keyless.stderr
    assert len(receiver.received()) == 1

    missing = baton("webhook", "test", "7", database_url=database_url, check=False, env=ENV)
    assert missing.returncode == 3 and "no webhook endpoint 7" in missing.stderr


def test_disable_stops_deliveries_and_ends_the_waiting_ones(
    database_url: str, receiver: Receiver
) -> None:
    baton("webhook", "add", receiver.url, database_url=database_url, env=ENV)
    _stage_change(database_url)
    (waiting,) = _deliveries(database_url)
    assert waiting.status == "pending"
    log = baton("webhook", "deliveries", database_url=database_url).stdout
    assert f"#{waiting.id} " in log and "lead.stage_changed  pending  0 failed attempt(s)" in log

    disabled = baton("webhook", "disable", "1", database_url=database_url).stdout
    assert f"disabled webhook 1 ({receiver.url})" in disabled
    assert "1 waiting deliveries were ended" in disabled
    assert "1  disabled" in baton("webhook", "list", database_url=database_url).stdout
    (ended,) = _deliveries(database_url)
    assert (ended.status, ended.last_error) == ("dead", "endpoint disabled before delivery")
    _stage_change(database_url)
    assert len(_deliveries(database_url)) == 1  # nothing new for a disabled endpoint

    baton("webhook", "enable", "1", database_url=database_url)
    assert "1  active" in baton("webhook", "list", database_url=database_url).stdout
    _stage_change(database_url)
    assert len(_deliveries(database_url)) == 2
    assert receiver.received() == []  # the worker of a running Baton sends them, not the CLI
