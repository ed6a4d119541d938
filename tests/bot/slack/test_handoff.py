"""Handoff requests from Slack and managers' decisions in the approval channel."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from qualification.stages import HandoffStatus, Role, Stage
from storage.handoffs import pending_handoff
from storage.models import HandoffRequest, Lead, StageChange
from tests.bot.slack.conftest import APPROVAL_CHANNEL, SlackBaton
from tests.bot.slack.signing import (
    FORM,
    block_action,
    interaction_body,
    send,
    text_value,
    view_submission,
)
from tests.factories import make_lead, make_user


async def _click(baton: SlackBaton, user: str, action_id: str, value: object) -> None:
    payload = block_action(user, action_id, str(value), channel="CDM", ts="9.9")
    if action_id.startswith("handoff_"):
        payload = block_action(user, action_id, str(value), channel=APPROVAL_CHANNEL, ts="5.5")
    response = await send(baton.client, interaction_body(payload), FORM)
    assert response.status_code == 200


async def _requested(baton: SlackBaton) -> tuple[Lead, HandoffRequest]:
    """An SDR (USDR) asked to hand off a lead; the card is in the approval channel."""
    with baton.runtime.session() as session:
        make_user(session, slack_user_id="USDR", name="Sam Sdr")
        make_user(session, slack_user_id="UBOSS", role=Role.MANAGER, name="Mia Manager")
        make_user(session, slack_user_id="UBOSS2", role=Role.MANAGER, name="Max Manager")
        lead = make_lead(session, name="Dana <@U999> Scully", company_name="Acme & Co")
    await _click(baton, "USDR", "request_handoff", lead.id)
    await baton.slack.wait_for("chat.postMessage", 2)  # the card and the SDR's DM
    with baton.runtime.session() as session:
        request = pending_handoff(session=session, lead_id=lead.id or 0)
        assert request is not None
        return lead, request


def _stage(baton: SlackBaton, lead: Lead) -> Stage:
    with baton.runtime.session() as session:
        stored = session.get(Lead, lead.id)
        assert stored is not None
        return stored.stage


async def test_request_handoff_makes_the_lead_sal_and_posts_the_card(baton: SlackBaton) -> None:
    lead, request = await _requested(baton)
    assert _stage(baton, lead) is Stage.SAL
    card, dm = baton.slack.of("chat.postMessage")
    assert card.params["channel"] == APPROVAL_CHANNEL
    assert dm.params["channel"] == "USDR"
    text = str(card.params["blocks"])
    assert "Dana &lt;@U999&gt; Scully" in text and "<@U999>" not in text
    assert "Acme &amp; Co" in text
    assert "<@USDR>" in text
    assert f"https://baton.example.com/dashboard/leads/{lead.id}" in text
    buttons = card.params["blocks"][-1]["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("handoff_approve", str(request.id)),
        ("handoff_reject", str(request.id)),
    ]
    assert card.token == "Bearer xoxb-test-token"

    await _click(baton, "USDR", "request_handoff", lead.id)  # asked again: no second card
    await baton.slack.wait_for("chat.postMessage", 3)
    assert baton.slack.of("chat.postMessage")[2].params["channel"] == "USDR"
    assert "already waiting" in baton.slack.of("chat.postMessage")[2].params["text"]


async def test_a_non_manager_clicking_approve_changes_nothing(baton: SlackBaton) -> None:
    lead, request = await _requested(baton)
    await _click(baton, "USDR", "handoff_approve", request.id)
    (note,) = await baton.slack.wait_for("chat.postEphemeral")
    assert note.params["user"] == "USDR"
    assert note.params["channel"] == APPROVAL_CHANNEL
    assert "Only managers" in note.params["text"]
    assert baton.slack.of("chat.update") == []
    assert _stage(baton, lead) is Stage.SAL
    with baton.runtime.session() as session:
        assert pending_handoff(session=session, lead_id=lead.id or 0) is not None


async def test_a_manager_approves_lead_becomes_sql_card_updated_sdr_told(
    baton: SlackBaton,
) -> None:
    lead, request = await _requested(baton)
    await _click(baton, "UBOSS", "handoff_approve", request.id)
    (update,) = await baton.slack.wait_for("chat.update")
    assert update.params["channel"] == APPROVAL_CHANNEL and update.params["ts"] == "5.5"
    last = update.params["blocks"][-1]
    assert last["type"] == "section"
    assert "*Approved* by Mia Manager at" in last["text"]["text"]
    dm = (await baton.slack.wait_for("chat.postMessage", 3))[2]
    assert dm.params["channel"] == "USDR"
    assert "approved" in dm.params["text"]
    assert _stage(baton, lead) is Stage.SQL
    with baton.runtime.session() as session:
        moves = session.exec(select(StageChange).where(StageChange.lead_id == lead.id)).all()
        assert moves[-1].to_stage is Stage.SQL and "Mia" not in moves[-1].actor
        assert moves[-1].actor_user_id is not None


async def test_two_managers_racing_the_first_decision_wins(baton: SlackBaton) -> None:
    lead, request = await _requested(baton)
    await asyncio.gather(
        _click(baton, "UBOSS", "handoff_approve", request.id),
        _click(baton, "UBOSS2", "handoff_approve", request.id),
    )
    (told,) = await baton.slack.wait_for("chat.postEphemeral")
    assert "already approved by" in told.params["text"]
    (update,) = await baton.slack.wait_for("chat.update")
    loser = told.params["user"]
    winner = "Mia Manager" if loser == "UBOSS2" else "Max Manager"
    assert winner in update.params["blocks"][-1]["text"]["text"]
    assert _stage(baton, lead) is Stage.SQL
    with baton.runtime.session() as session:
        moves = session.exec(select(StageChange).where(StageChange.to_stage == Stage.SQL)).all()
        assert len(moves) == 1


async def test_reject_asks_for_a_comment_then_records_it(baton: SlackBaton) -> None:
    lead, request = await _requested(baton)
    await _click(baton, "UBOSS", "handoff_reject", request.id)
    (opened,) = await baton.slack.wait_for("views.open")
    view = opened.params["view"]
    assert view["callback_id"] == "handoff_reject_submit"
    metadata = {"request_id": request.id, "channel": APPROVAL_CHANNEL, "ts": "5.5"}
    payload = view_submission(
        "UBOSS", view["callback_id"], {"comment": text_value("no budget yet")}, metadata
    )
    assert (await send(baton.client, interaction_body(payload), FORM)).status_code == 200
    (update,) = await baton.slack.wait_for("chat.update")
    assert "*Rejected* by Mia Manager" in update.params["blocks"][-1]["text"]["text"]
    assert "no budget yet" in update.params["blocks"][-1]["text"]["text"]
    with baton.runtime.session() as session:
        stored = session.get(HandoffRequest, request.id)
        assert stored is not None and stored.status is HandoffStatus.REJECTED
        assert stored.comment == "no budget yet"
    assert _stage(baton, lead) in (Stage.SAL, Stage.NURTURE)


async def test_a_non_manager_cannot_open_the_reject_form(baton: SlackBaton) -> None:
    _, request = await _requested(baton)
    await _click(baton, "USDR", "handoff_reject", request.id)
    await baton.slack.wait_for("chat.postEphemeral")
    assert baton.slack.of("views.open") == []


async def test_a_rate_limited_post_is_retried_not_lost(baton: SlackBaton) -> None:
    with baton.runtime.session() as session:
        make_user(session, slack_user_id="USDR")
        lead = make_lead(session)
    baton.slack.fail_next("chat.postMessage", status=429, retry_after=0)
    await _click(baton, "USDR", "request_handoff", lead.id)
    posts = await baton.slack.wait_for("chat.postMessage", 3)
    assert [p.params["channel"] for p in posts] == [APPROVAL_CHANNEL, APPROVAL_CHANNEL, "USDR"]
    assert _stage(baton, lead) is Stage.SAL


async def test_return_to_nurture_asks_for_a_reason(baton: SlackBaton) -> None:
    with baton.runtime.session() as session:
        make_user(session, slack_user_id="USDR")
        lead = make_lead(session)
    await _click(baton, "USDR", "request_handoff", lead.id)  # now SAL
    await baton.slack.wait_for("chat.postMessage", 2)
    await _click(baton, "USDR", "return_to_nurture", lead.id)
    (opened,) = await baton.slack.wait_for("views.open")
    payload = view_submission(
        "USDR",
        "nurture_submit",
        {"reason": text_value("budget frozen until 2027")},
        {"lead_id": lead.id},
    )
    await send(baton.client, interaction_body(payload), FORM)
    await baton.slack.wait_for("chat.postMessage", 3)
    assert _stage(baton, lead) is Stage.NURTURE
    with baton.runtime.session() as session:
        last = session.exec(select(StageChange).where(StageChange.lead_id == lead.id)).all()[-1]
        assert last.reason == "budget frozen until 2027"
        request = session.exec(select(HandoffRequest)).one()
        assert request.status is HandoffStatus.CANCELLED
