"""Helpers of the approval-card tests: clicks on cards, and what Slack and the database hold."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlmodel import col, select

from qualification.stages import Role, Stage
from storage.handoffs import pending_handoff
from storage.leads import get_lead
from storage.models import HandoffRequest, Lead, OutboxItem, SlackPost
from storage.slack_posts import HANDOFF, posts_for
from tests.bot.slack.conftest import SlackBaton
from tests.bot.slack.fake_slack import Call
from tests.bot.slack.signing import FORM, block_action, interaction_body, send
from tests.factories import make_lead, make_user


async def click(
    baton: SlackBaton, user: str, action_id: str, value: object, *, post: SlackPost | None = None
) -> None:
    """A button click: on an approval card `post`, or in the SDR's DM."""
    if post is None:
        payload = block_action(user, action_id, str(value), channel="CDM", ts="9.9")
    else:
        payload = block_action(user, action_id, str(value), channel=post.channel, ts=post.ts)
    response = await send(baton.client, interaction_body(payload), FORM)
    assert response.status_code == 200


async def until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait for a listener (which runs after its ack) to have committed its work."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def people(baton: SlackBaton) -> None:
    with baton.runtime.session() as session:
        make_user(session, slack_user_id="USDR", name="Sam Sdr")
        make_user(session, slack_user_id="UBOSS", role=Role.MANAGER, name="Mia Manager")
        make_user(session, slack_user_id="UBOSS2", role=Role.MANAGER, name="Max Manager")


def card_posts(baton: SlackBaton, request_id: int | None) -> list[SlackPost]:
    with baton.runtime.session() as session:
        return posts_for(session=session, subject=HANDOFF, subject_id=request_id or 0)


def stored_request(baton: SlackBaton, request_id: int | None) -> HandoffRequest:
    with baton.runtime.session() as session:
        request = session.get(HandoffRequest, request_id)
        assert request is not None
        return request


def outbox_items(baton: SlackBaton, topic: str) -> list[OutboxItem]:
    with baton.runtime.session() as session:
        query = select(OutboxItem).where(OutboxItem.topic == topic).order_by(col(OutboxItem.id))
        return list(session.exec(query).all())


def stage_of(baton: SlackBaton, lead: Lead) -> Stage:
    with baton.runtime.session() as session:
        return get_lead(session=session, lead_id=lead.id or 0).stage


def posted_to(baton: SlackBaton, channel: str) -> list[Call]:
    return [c for c in baton.slack.of("chat.postMessage") if c.params["channel"] == channel]


async def requested(baton: SlackBaton) -> tuple[Lead, HandoffRequest, SlackPost]:
    """USDR asked to hand off a lead from Slack and the outbox posted the card."""
    people(baton)
    with baton.runtime.session() as session:
        lead = make_lead(session, name="Dana <@U999> Scully", company_name="Acme & Co")
    await click(baton, "USDR", "request_handoff", lead.id)
    await baton.slack.wait_for("chat.postMessage")  # the SDR's confirmation
    assert await baton.deliver() >= 1
    with baton.runtime.session() as session:
        request = pending_handoff(session=session, lead_id=lead.id or 0)
        assert request is not None
    (card,) = card_posts(baton, request.id)
    return lead, request, card
