"""Handoff requests and managers' decisions: the approval cards are delivered by the outbox."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from dialogs.sdr_call import ask_for_handoff, return_to_nurture
from qualification.stages import HandoffStatus, Role, Stage
from storage.handoffs import decide_handoff, pending_handoff
from storage.models import HandoffRequest, Lead, OutboxItem, StageChange, User
from storage.widgets import create_widget
from tests.bot.slack.cards import (
    card_posts,
    click,
    outbox_items,
    people,
    posted_to,
    requested,
    stage_of,
    stored_request,
    until,
)
from tests.bot.slack.conftest import APPROVAL_CHANNEL, SlackBaton
from tests.bot.slack.signing import (
    FORM,
    interaction_body,
    send,
    text_value,
    view_submission,
)
from tests.bot.widget.helpers import answer, open_session
from tests.factories import make_lead, make_user


async def test_a_request_from_slack_is_confirmed_at_once_and_the_outbox_posts_the_card(
    baton: SlackBaton,
) -> None:
    people(baton)
    with baton.runtime.session() as session:
        lead = make_lead(session, name="Dana <@U999> Scully", company_name="Acme & Co")
    await click(baton, "USDR", "request_handoff", lead.id)
    (confirmation,) = await baton.slack.wait_for("chat.postMessage")
    assert confirmation.params["channel"] == "USDR"
    assert "managers will decide" in confirmation.params["text"]
    assert stage_of(baton, lead) is Stage.SAL
    (queued,) = outbox_items(baton, "handoff.requested")
    assert queued.status == "pending"

    await baton.deliver()
    (card,) = posted_to(baton, APPROVAL_CHANNEL)
    text = str(card.params["blocks"])
    assert "Dana &lt;@U999&gt; Scully" in text and "<@U999>" not in text
    assert "Acme &amp; Co" in text
    assert "<@USDR>" in text
    assert f"https://baton.example.com/dashboard/leads/{lead.id}" in text
    request_id = queued.payload["request_id"]
    buttons = card.params["blocks"][-1]["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("handoff_approve", str(request_id)),
        ("handoff_reject", str(request_id)),
    ]
    assert card.token == "Bearer xoxb-test-token"
    (post,) = card_posts(baton, request_id)
    assert post.channel == APPROVAL_CHANNEL and post.ts.startswith("1700000000.")
    assert outbox_items(baton, "handoff.requested")[0].status == "done"

    await click(baton, "USDR", "request_handoff", lead.id)  # asked again: no second card
    await baton.slack.wait_for("chat.postMessage", 3)
    assert "already waiting" in baton.slack.of("chat.postMessage")[2].params["text"]
    await baton.deliver()
    assert len(posted_to(baton, APPROVAL_CHANNEL)) == 1
    assert len(outbox_items(baton, "handoff.requested")) == 1


async def test_a_card_delivered_again_after_it_was_recorded_is_not_posted_twice(
    baton: SlackBaton,
) -> None:
    _, request, _ = await requested(baton)
    with baton.runtime.session() as session:  # e.g. the worker died before marking it done
        session.execute(
            update(OutboxItem)
            .where(col(OutboxItem.topic) == "handoff.requested")
            .values(status="pending", next_attempt_at=datetime.now(UTC))
        )
        session.commit()
    assert await baton.deliver() == 1
    assert len(posted_to(baton, APPROVAL_CHANNEL)) == 1
    assert len(card_posts(baton, request.id)) == 1


WIDGET_CHAT = [
    "Jane Doe",
    "jane@acme-corp.io",
    "Acme Corp",
    "Our reps spend hours on manual data entry and leads go cold",
    "about $50k a year",
    "I'm the VP of Sales and I make the decision",
    "next month",
    "about 250",
    "A CRM",
]


async def test_a_qualifying_chat_in_the_web_widget_gets_a_card(baton: SlackBaton) -> None:
    rt = baton.runtime
    with rt.session() as session:
        create_widget(session=session, flows=rt.flows, public_id="site", settings={})
        session.commit()
    data = await open_session(baton.client, "site")
    token, prompt = data["token"], data["prompt"]
    for text in WIDGET_CHAT:
        response = await answer(baton.client, "site", token, text, version=prompt["version"])
        assert response.status_code == 200, response.text
        prompt = response.json()["prompt"]
    assert prompt["outcome"] == "handoff"
    assert baton.slack.of("chat.postMessage") == []  # nothing is sent from the request itself

    await baton.deliver()
    (card,) = posted_to(baton, APPROVAL_CHANNEL)
    assert "Jane Doe" in card.params["text"]
    with rt.session() as session:
        request = session.exec(select(HandoffRequest)).one()
    assert request.status is HandoffStatus.PENDING
    assert [p.channel for p in card_posts(baton, request.id)] == [APPROVAL_CHANNEL]
    assert str(request.id) in str(card.params["blocks"][-1]["elements"])


async def test_a_request_made_outside_slack_gets_a_card_and_its_decision_updates_it(
    baton: SlackBaton,
) -> None:
    """As the REST API or the CLI would: the requester has no Slack account, so no DM."""
    rt = baton.runtime
    with rt.session() as session:
        sdr = make_user(session, name="Api Sdr")
        boss = make_user(session, role=Role.MANAGER, name="Mia Manager")
        lead = make_lead(session, name="Fox Mulder")
        request, created = ask_for_handoff(
            session=session, lead_id=lead.id or 0, user=sdr, rules=rt.rules
        )
        session.commit()
    assert created
    await baton.deliver()
    (card,) = posted_to(baton, APPROVAL_CHANNEL)
    assert "Requested by Api Sdr" in str(card.params["blocks"])

    with rt.session() as session:
        manager = session.get(User, boss.id)
        assert manager is not None
        decide_handoff(
            session=session,
            request_id=request.id or 0,
            approve=True,
            user=manager,
            comment="",
            rules=rt.rules,
        )
        session.commit()
    await baton.deliver()
    (updated,) = baton.slack.of("chat.update")
    (post,) = card_posts(baton, request.id)
    assert (updated.params["channel"], updated.params["ts"]) == (post.channel, post.ts)
    assert "*Approved* by Mia Manager" in updated.params["blocks"][-1]["text"]["text"]
    assert len(baton.slack.of("chat.postMessage")) == 1  # the card only: nobody to DM


async def test_a_non_manager_clicking_approve_changes_nothing(baton: SlackBaton) -> None:
    lead, request, card = await requested(baton)
    await click(baton, "USDR", "handoff_approve", request.id, post=card)
    (note,) = await baton.slack.wait_for("chat.postEphemeral")
    assert note.params["user"] == "USDR"
    assert note.params["channel"] == APPROVAL_CHANNEL
    assert "Only managers" in note.params["text"]
    assert await baton.deliver() == 0
    assert baton.slack.of("chat.update") == []
    assert stage_of(baton, lead) is Stage.SAL
    assert stored_request(baton, request.id).status is HandoffStatus.PENDING
    assert outbox_items(baton, "handoff.decided") == []


async def test_a_manager_approves_lead_becomes_sql_card_updated_sdr_told(
    baton: SlackBaton,
) -> None:
    lead, request, card = await requested(baton)
    await click(baton, "UBOSS", "handoff_approve", request.id, post=card)
    await until(lambda: stored_request(baton, request.id).status is not HandoffStatus.PENDING)
    assert stage_of(baton, lead) is Stage.SQL
    assert baton.slack.of("chat.update") == []  # the outbox updates it, not the listener

    await baton.deliver()
    (updated,) = baton.slack.of("chat.update")
    assert (updated.params["channel"], updated.params["ts"]) == (APPROVAL_CHANNEL, card.ts)
    last = updated.params["blocks"][-1]
    assert last["type"] == "section"
    assert "*Approved* by Mia Manager at" in last["text"]["text"]
    assert all(b["type"] != "actions" for b in updated.params["blocks"])
    (dm,) = posted_to(baton, "USDR")[1:]
    assert "approved" in dm.params["text"] and "Mia Manager" in dm.params["text"]
    with baton.runtime.session() as session:
        moves = session.exec(select(StageChange).where(StageChange.lead_id == lead.id)).all()
        assert moves[-1].to_stage is Stage.SQL and "Mia" not in moves[-1].actor
        assert moves[-1].actor_user_id is not None
    assert len(card_posts(baton, request.id)) == 1  # the clicked card was the recorded one


async def test_two_managers_racing_the_first_decision_wins(baton: SlackBaton) -> None:
    lead, request, card = await requested(baton)
    await asyncio.gather(
        click(baton, "UBOSS", "handoff_approve", request.id, post=card),
        click(baton, "UBOSS2", "handoff_approve", request.id, post=card),
    )
    (told,) = await baton.slack.wait_for("chat.postEphemeral")
    assert "already approved by" in told.params["text"]
    await until(lambda: stored_request(baton, request.id).status is HandoffStatus.APPROVED)
    await baton.deliver()
    (updated,) = baton.slack.of("chat.update")
    loser = told.params["user"]
    winner = "Mia Manager" if loser == "UBOSS2" else "Max Manager"
    assert winner in updated.params["blocks"][-1]["text"]["text"]
    assert len(posted_to(baton, "USDR")) == 2  # the confirmation and one decision
    assert stage_of(baton, lead) is Stage.SQL
    assert len(outbox_items(baton, "handoff.decided")) == 1
    with baton.runtime.session() as session:
        moves = session.exec(select(StageChange).where(StageChange.to_stage == Stage.SQL)).all()
        assert len(moves) == 1


async def test_reject_asks_for_a_comment_then_records_it(baton: SlackBaton) -> None:
    lead, request, card = await requested(baton)
    await click(baton, "UBOSS", "handoff_reject", request.id, post=card)
    (opened,) = await baton.slack.wait_for("views.open")
    view = opened.params["view"]
    assert view["callback_id"] == "handoff_reject_submit"
    metadata = {"request_id": request.id, "channel": card.channel, "ts": card.ts}
    payload = view_submission(
        "UBOSS", view["callback_id"], {"comment": text_value("no budget <!here>")}, metadata
    )
    assert (await send(baton.client, interaction_body(payload), FORM)).status_code == 200
    await until(lambda: stored_request(baton, request.id).status is HandoffStatus.REJECTED)
    assert stored_request(baton, request.id).comment == "no budget <!here>"
    await baton.deliver()
    (updated,) = baton.slack.of("chat.update")
    assert updated.params["ts"] == card.ts
    decided = updated.params["blocks"][-1]["text"]["text"]
    assert "*Rejected* by Mia Manager" in decided
    assert "no budget &lt;!here&gt;" in decided and "<!here>" not in decided
    (dm,) = posted_to(baton, "USDR")[1:]
    assert "rejected" in dm.params["text"] and "no budget &lt;!here&gt;" in dm.params["text"]
    assert stage_of(baton, lead) in (Stage.SAL, Stage.NURTURE)


async def test_a_non_manager_cannot_open_the_reject_form(baton: SlackBaton) -> None:
    _, request, card = await requested(baton)
    await click(baton, "USDR", "handoff_reject", request.id, post=card)
    await baton.slack.wait_for("chat.postEphemeral")
    assert baton.slack.of("views.open") == []


async def test_a_rate_limited_post_is_retried_and_the_card_posted_once(
    baton: SlackBaton,
) -> None:
    people(baton)
    with baton.runtime.session() as session:
        lead = make_lead(session)
    await click(baton, "USDR", "request_handoff", lead.id)
    await baton.slack.wait_for("chat.postMessage")
    baton.slack.fail_next("chat.postMessage", status=429, retry_after=0)
    await baton.deliver()
    assert len(posted_to(baton, APPROVAL_CHANNEL)) == 2  # refused once (429), then posted
    (item,) = outbox_items(baton, "handoff.requested")
    assert item.status == "done" and item.attempts == 0
    assert len(card_posts(baton, item.payload["request_id"])) == 1
    assert stage_of(baton, lead) is Stage.SAL


@pytest.mark.parametrize("status", [500, 200], ids=["http-500", "ok-false"])
async def test_when_slack_is_down_the_card_waits_in_the_outbox(
    baton: SlackBaton, status: int
) -> None:
    people(baton)
    with baton.runtime.session() as session:
        lead = make_lead(session)
    await click(baton, "USDR", "request_handoff", lead.id)
    await baton.slack.wait_for("chat.postMessage")
    baton.slack.fail_next("chat.postMessage", status=status)
    await baton.deliver()
    (item,) = outbox_items(baton, "handoff.requested")
    assert item.status == "pending" and item.attempts == 1 and item.last_error
    assert card_posts(baton, item.payload["request_id"]) == []
    assert await baton.deliver() == 0  # not due again yet (backoff)

    await baton.deliver(now=datetime.now(UTC) + timedelta(minutes=5))
    (item,) = outbox_items(baton, "handoff.requested")
    assert item.status == "done"
    (post,) = card_posts(baton, item.payload["request_id"])
    assert len(posted_to(baton, APPROVAL_CHANNEL)) == 2  # the failed attempt and the card
    assert post.channel == APPROVAL_CHANNEL


async def test_a_card_posted_after_its_decision_shows_the_decision(baton: SlackBaton) -> None:
    """Slack was down while the request was made and decided (e.g. on the dashboard)."""
    lead, request = await _request_while_slack_is_down(baton)
    with baton.runtime.session() as session:
        boss = session.exec(select(User).where(User.slack_user_id == "UBOSS")).one()
        decide_handoff(
            session=session,
            request_id=request.id or 0,
            approve=True,
            user=boss,
            comment="great fit",
            rules=baton.runtime.rules,
        )
        session.commit()
    await baton.deliver(now=datetime.now(UTC) + timedelta(minutes=5))
    card = posted_to(baton, APPROVAL_CHANNEL)[-1]
    assert all(b["type"] != "actions" for b in card.params["blocks"])
    assert "*Approved* by Mia Manager" in card.params["blocks"][-1]["text"]["text"]
    assert "(approved)" in card.params["text"]
    (dm,) = posted_to(baton, "USDR")[1:]
    assert "approved" in dm.params["text"]
    assert len(card_posts(baton, request.id)) == 1
    assert stage_of(baton, lead) is Stage.SQL


async def _request_while_slack_is_down(baton: SlackBaton) -> tuple[Lead, HandoffRequest]:
    people(baton)
    with baton.runtime.session() as session:
        lead = make_lead(session)
    await click(baton, "USDR", "request_handoff", lead.id)
    await baton.slack.wait_for("chat.postMessage")
    baton.slack.fail_next("chat.postMessage", status=503)
    await baton.deliver()
    with baton.runtime.session() as session:
        request = pending_handoff(session=session, lead_id=lead.id or 0)
        assert request is not None
    assert card_posts(baton, request.id) == []
    return lead, request


async def test_a_decision_is_shown_once_slack_is_back(baton: SlackBaton) -> None:
    lead, request, card = await requested(baton)
    baton.slack.fail_next("chat.update", status=500)
    await click(baton, "UBOSS", "handoff_approve", request.id, post=card)
    await until(lambda: stored_request(baton, request.id).status is HandoffStatus.APPROVED)
    await baton.deliver()
    (item,) = outbox_items(baton, "handoff.decided")
    assert item.status == "pending" and item.attempts == 1
    assert len(posted_to(baton, "USDR")) == 1  # not told yet

    await baton.deliver(now=datetime.now(UTC) + timedelta(minutes=5))
    failed, updated = baton.slack.of("chat.update")
    assert updated.params["ts"] == card.ts
    assert "*Approved*" in updated.params["blocks"][-1]["text"]["text"]
    assert len(posted_to(baton, "USDR")) == 2
    assert outbox_items(baton, "handoff.decided")[0].status == "done"
    assert stage_of(baton, lead) is Stage.SQL


async def test_return_to_nurture_asks_for_a_reason(baton: SlackBaton) -> None:
    people(baton)
    with baton.runtime.session() as session:
        lead = make_lead(session)
    await click(baton, "USDR", "request_handoff", lead.id)  # now SAL
    await baton.slack.wait_for("chat.postMessage")
    await click(baton, "USDR", "return_to_nurture", lead.id)
    await baton.slack.wait_for("views.open")
    payload = view_submission(
        "USDR",
        "nurture_submit",
        {"reason": text_value("budget frozen until 2027")},
        {"lead_id": lead.id},
    )
    await send(baton.client, interaction_body(payload), FORM)
    (_, told) = await baton.slack.wait_for("chat.postMessage", 2)
    assert "back with marketing" in told.params["text"]
    assert stage_of(baton, lead) is Stage.NURTURE
    with baton.runtime.session() as session:
        last = session.exec(select(StageChange).where(StageChange.lead_id == lead.id)).all()[-1]
        assert last.reason == "budget frozen until 2027"
        request = session.exec(select(HandoffRequest)).one()
        assert request.status is HandoffStatus.CANCELLED


async def test_an_auto_approved_request_gets_no_card_and_one_message(baton: SlackBaton) -> None:
    people(baton)
    with baton.runtime.session() as session:
        sdr = session.exec(select(User).where(User.slack_user_id == "USDR")).one()
        lead = make_lead(session, name="Hot Prospect")
        # Rules whose auto-approval threshold this lead's score reaches.
        rules = replace(baton.runtime.rules, auto_approve_above=lead.score)
        request, _ = ask_for_handoff(session=session, lead_id=lead.id or 0, user=sdr, rules=rules)
        session.commit()
    assert stored_request(baton, request.id).status is HandoffStatus.APPROVED
    assert stage_of(baton, lead) is Stage.SQL
    await baton.deliver()
    assert posted_to(baton, APPROVAL_CHANNEL) == []
    assert card_posts(baton, request.id) == []
    (dm,) = baton.slack.of("chat.postMessage")
    assert dm.params["channel"] == "USDR"
    assert "*Hot Prospect*" in dm.params["text"] and "*approved*" in dm.params["text"]


async def test_a_request_cancelled_by_returning_the_lead_to_nurture_loses_its_buttons(
    baton: SlackBaton,
) -> None:
    lead, request, card = await requested(baton)
    with baton.runtime.session() as session:
        manager = session.exec(select(User).where(User.role == Role.MANAGER)).first()
        assert manager is not None
        return_to_nurture(session=session, lead_id=lead.id or 0, user=manager, reason="no budget")
        session.commit()
    assert stored_request(baton, request.id).status is HandoffStatus.CANCELLED
    (cancelled,) = outbox_items(baton, "handoff.decided")
    assert cancelled.payload["status"] == "cancelled"
    sent_before = len(posted_to(baton, "USDR"))

    await baton.deliver()
    (updated,) = baton.slack.of("chat.update")
    assert (updated.params["channel"], updated.params["ts"]) == (card.channel, card.ts)
    assert all(block["type"] != "actions" for block in updated.params["blocks"])
    assert "ancelled" in str(updated.params["blocks"])
    # The SDR who asked hears that someone else moved their lead on.
    (told,) = posted_to(baton, "USDR")[sent_before:]
    assert "cancelled" in told.params["text"]


async def test_an_sdr_returning_their_own_requested_lead_gets_no_extra_message(
    baton: SlackBaton,
) -> None:
    lead, request, card = await requested(baton)
    with baton.runtime.session() as session:
        sdr = session.exec(select(User).where(User.slack_user_id == "USDR")).one()
        return_to_nurture(session=session, lead_id=lead.id or 0, user=sdr, reason="went quiet")
        session.commit()
    sent_before = len(posted_to(baton, "USDR"))
    await baton.deliver()
    (updated,) = baton.slack.of("chat.update")
    assert updated.params["ts"] == card.ts
    assert len(posted_to(baton, "USDR")) == sent_before
