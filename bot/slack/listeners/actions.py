"""Buttons: Request handoff / Return to nurture (SDR), Approve / Reject (manager)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack.blocks import (
    APPROVE,
    REJECT_BUTTON,
    REQUEST_HANDOFF,
    RETURN_TO_NURTURE,
    nurture_modal,
    reject_modal,
)
from bot.slack.lanes import Lanes
from bot.slack.mrkdwn import safe
from bot.slack.notify import dm
from bot.slack.runner import in_transaction, slack_manager, slack_user
from dialogs.sdr_call import ask_for_handoff
from storage.handoff_view import HandoffView, handoff_view
from storage.handoffs import decide_handoff
from storage.slack_posts import HANDOFF, record_post


def clicked_message(body: dict[str, Any]) -> tuple[str, str] | None:
    """The (channel, ts) of the message whose button was clicked; None outside messages."""
    channel = (body.get("channel") or {}).get("id")
    ts = (body.get("message") or {}).get("ts")
    return (str(channel), str(ts)) if channel and ts else None


def handoff_requested(
    view: HandoffView, *, created: bool, approval_channel: str | None
) -> str | None:
    """What the SDR who asked for a handoff is told; None when approved at once (the decision's
    delivery tells them, in one message)."""
    name = safe(view.lead_name or "the lead", 200)
    if view.status != "pending":
        return None
    if not created:
        return f"A handoff request for {name} is already waiting."
    if approval_channel:  # the outbox posts the card
        return f"Handoff requested for {name}; managers will decide."
    return (
        f"Handoff requested for {name}, but no approval channel is configured"
        " (BATON_SLACK_APPROVAL_CHANNEL)."
    )


def register(app: AsyncApp, runtime: Runtime, lanes: Lanes) -> None:
    approval_channel = runtime.settings.slack_approval_channel

    @app.action(REQUEST_HANDOFF)
    async def request(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        slack_id = body["user"]["id"]

        def work(session: Session) -> tuple[HandoffView, bool]:
            user = slack_user(session, slack_id)
            req, created = ask_for_handoff(
                session=session, lead_id=int(action["value"]), user=user, rules=runtime.rules
            )
            session.flush()
            return handoff_view(session=session, request_id=req.id or 0), created

        async def ask() -> None:
            view, created = await in_transaction(runtime, work)
            text = handoff_requested(view, created=created, approval_channel=approval_channel)
            if text is not None:
                await dm(client, slack_id, text)

        await lanes.after_ack(ask, body=body, client=client)

    @app.action(RETURN_TO_NURTURE)
    async def nurture(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Ask for the reason marketing will get (the modal's submission moves the lead)."""
        await ack()

        async def ask_why() -> None:
            view = nurture_modal(lead_id=int(action["value"]))
            await client.views_open(trigger_id=body["trigger_id"], view=view)

        await lanes.after_ack(ask_why, body=body, client=client)

    @app.action(APPROVE)
    async def approve(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Approve; the outbox then updates every card of the request and tells the SDR."""
        await ack()
        slack_id = body["user"]["id"]
        request_id = int(action["value"])
        card = clicked_message(body)

        def work(session: Session) -> None:
            user = slack_user(session, slack_id)
            decide_handoff(
                session=session,
                request_id=request_id,
                approve=True,
                user=user,
                comment="",
                rules=runtime.rules,
            )
            if card is not None:  # so this card is updated even if it was never recorded
                channel, ts = card
                record_post(
                    session=session, subject=HANDOFF, subject_id=request_id, channel=channel, ts=ts
                )

        async def decide() -> None:
            await in_transaction(runtime, work)

        await lanes.after_ack(decide, body=body, client=client)

    @app.action(REJECT_BUTTON)
    async def reject(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Managers only: ask for the comment; the modal's submission rejects."""
        await ack()
        slack_id = body["user"]["id"]

        async def ask_why() -> None:
            await in_transaction(
                runtime, lambda session: slack_manager(session, slack_id), read_only=True
            )
            channel, ts = clicked_message(body) or ("", "")
            view = reject_modal(request_id=int(action["value"]), channel=channel, ts=ts)
            await client.views_open(trigger_id=body["trigger_id"], view=view)

        await lanes.after_ack(ask_why, body=body, client=client)
