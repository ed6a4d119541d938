"""Reminders: a handoff request that waits too long is re-posted to the approval channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import col, select

from bot.app import create_app
from bot.settings import Settings
from bot.slack.handoff_cards import waited_for
from qualification.stages import HandoffStatus
from storage.handoff_reminders import queue_reminders
from storage.models import HandoffRequest, OutboxItem
from tests.bot.slack.cards import (
    card_posts,
    click,
    outbox_items,
    posted_to,
    requested,
    stored_request,
    until,
)
from tests.bot.slack.conftest import APPROVAL_CHANNEL, SlackBaton
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.signing import SECRET

INTERVAL = timedelta(minutes=240)  # the default BATON_SLACK_REMINDER_AFTER_MINUTES


def _asked_at(baton: SlackBaton, request_id: int | None) -> datetime:
    return stored_request(baton, request_id).created_at


def _reminders(baton: SlackBaton) -> list[dict[str, object]]:
    """The blocks' first line of each card posted after the first one."""
    cards = posted_to(baton, APPROVAL_CHANNEL)[1:]
    return [c.params["blocks"][0] for c in cards]


async def test_a_waiting_request_is_reposted_once_per_interval(baton: SlackBaton) -> None:
    _, request, card = await requested(baton)
    asked = _asked_at(baton, request.id)

    await baton.deliver(now=asked + INTERVAL - timedelta(minutes=1))
    assert outbox_items(baton, "handoff.reminder") == []
    assert len(posted_to(baton, APPROVAL_CHANNEL)) == 1

    await baton.deliver(now=asked + INTERVAL + timedelta(minutes=1))
    cards = posted_to(baton, APPROVAL_CHANNEL)
    assert len(cards) == 2
    reminder = cards[1]
    first = reminder.params["blocks"][0]
    assert first["type"] == "context"
    assert "*Reminder:* this request has waited 4 h 1 min" in first["elements"][0]["text"]
    assert reminder.params["text"].startswith(":alarm_clock: *Reminder:*")
    buttons = reminder.params["blocks"][-1]["elements"]
    assert [b["value"] for b in buttons] == [str(request.id)] * 2
    first_card, reminder_card = card_posts(baton, request.id)
    assert first_card.ts == card.ts and reminder_card.ts != card.ts
    (item,) = outbox_items(baton, "handoff.reminder")
    assert item.dedupe_key == f"handoff.reminder:{request.id}:1"

    # Later in the same interval, and from another process (a second worker): nothing new.
    await baton.deliver(now=asked + INTERVAL + timedelta(minutes=90))
    await baton.deliver(now=asked + INTERVAL + timedelta(minutes=90))
    assert len(posted_to(baton, APPROVAL_CHANNEL)) == 2

    await baton.deliver(now=asked + 2 * INTERVAL + timedelta(minutes=3))
    assert len(posted_to(baton, APPROVAL_CHANNEL)) == 3
    assert "waited 8 h 3 min" in str(_reminders(baton)[1])
    assert [i.dedupe_key for i in outbox_items(baton, "handoff.reminder")] == [
        f"handoff.reminder:{request.id}:1",
        f"handoff.reminder:{request.id}:2",
    ]
    assert len(card_posts(baton, request.id)) == 3


async def test_a_decision_updates_the_card_and_its_reminders(baton: SlackBaton) -> None:
    _, request, card = await requested(baton)
    await baton.deliver(now=_asked_at(baton, request.id) + INTERVAL + timedelta(minutes=1))
    first, reminder = card_posts(baton, request.id)
    assert first.ts == card.ts

    await click(baton, "UBOSS", "handoff_approve", request.id, post=reminder)
    await until(lambda: stored_request(baton, request.id).status is HandoffStatus.APPROVED)
    await baton.deliver()
    updates = baton.slack.of("chat.update")
    assert sorted(u.params["ts"] for u in updates) == sorted([first.ts, reminder.ts])
    for updated in updates:
        assert updated.params["channel"] == APPROVAL_CHANNEL
        assert "*Approved* by Mia Manager" in updated.params["blocks"][-1]["text"]["text"]
        assert "Reminder" not in str(updated.params["blocks"])
    assert len(posted_to(baton, "USDR")) == 2  # the confirmation and one decision DM


async def test_a_decided_request_is_not_reminded(baton: SlackBaton) -> None:
    _, request, card = await requested(baton)
    await click(baton, "UBOSS", "handoff_approve", request.id, post=card)
    await until(lambda: stored_request(baton, request.id).status is HandoffStatus.APPROVED)
    await baton.deliver(now=_asked_at(baton, request.id) + 3 * INTERVAL)
    assert outbox_items(baton, "handoff.reminder") == []
    assert len(posted_to(baton, APPROVAL_CHANNEL)) == 1
    assert len(card_posts(baton, request.id)) == 1


async def test_a_reminder_queued_before_the_decision_is_dropped(baton: SlackBaton) -> None:
    _, request, card = await requested(baton)
    later = _asked_at(baton, request.id) + INTERVAL + timedelta(minutes=1)
    with baton.runtime.session() as session:
        (queued,) = queue_reminders(session=session, now=later, every=INTERVAL)
        session.commit()
    await click(baton, "UBOSS", "handoff_approve", request.id, post=card)
    await until(lambda: stored_request(baton, request.id).status is HandoffStatus.APPROVED)
    await baton.deliver()
    assert len(posted_to(baton, APPROVAL_CHANNEL)) == 1
    (item,) = outbox_items(baton, "handoff.reminder")
    assert item.id == queued.id and item.status == "done"
    assert len(card_posts(baton, request.id)) == 1


async def test_a_reminder_delivered_again_is_not_posted_twice(baton: SlackBaton) -> None:
    _, request, _ = await requested(baton)
    await baton.deliver(now=_asked_at(baton, request.id) + INTERVAL + timedelta(minutes=1))
    assert len(card_posts(baton, request.id)) == 2
    with baton.runtime.session() as session:
        session.execute(
            update(OutboxItem)
            .where(col(OutboxItem.topic) == "handoff.reminder")
            .values(status="pending", next_attempt_at=datetime.now(UTC))
        )
        session.commit()
    assert await baton.deliver() == 1
    assert len(posted_to(baton, APPROVAL_CHANNEL)) == 2
    assert len(card_posts(baton, request.id)) == 2


@pytest.fixture
async def quiet_baton(database_url: str, fake_slack: FakeSlack) -> AsyncIterator[SlackBaton]:
    """Like `baton`, with reminders turned off (BATON_SLACK_REMINDER_AFTER_MINUTES=0)."""
    settings = Settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SECRET,
        slack_api_url=fake_slack.url,
        slack_approval_channel=APPROVAL_CHANNEL,
        slack_reminder_after_minutes=0,
        outbox_worker=False,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as client:
        yield SlackBaton(app=app, client=client, slack=fake_slack)
    app.state.runtime.engine.dispose()


async def test_no_reminders_when_turned_off(quiet_baton: SlackBaton) -> None:
    _, request, _ = await requested(quiet_baton)
    await quiet_baton.deliver(now=_asked_at(quiet_baton, request.id) + timedelta(days=30))
    assert outbox_items(quiet_baton, "handoff.reminder") == []
    assert len(posted_to(quiet_baton, APPROVAL_CHANNEL)) == 1
    with quiet_baton.runtime.session() as session:
        assert session.exec(select(HandoffRequest)).one().status is HandoffStatus.PENDING


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "0 min"),
        (45, "45 min"),
        (240, "4 h"),
        (250, "4 h 10 min"),
        (1440, "1 d"),
        (3060, "2 d 3 h"),
    ],
)
def test_waits_are_written_as_people_say_them(minutes: int, text: str) -> None:
    assert waited_for(timedelta(minutes=minutes, seconds=59)) == text
