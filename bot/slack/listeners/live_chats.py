"""Live chat buttons: Take it on the request card, and the owner's controls in its thread.

The first SDR to take a chat owns it (the others are told who did). The controls — record
BANT answers, request the handoff, return to nurture, hand back to the bot, end the chat — are
for the owner and managers. Cards and threads are updated by the outbox (bot/slack/live_chats.py),
so every copy changes however the chat changed; refusals are told by the after-ack lane
(bot.slack.lanes).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack.blocks import nurture_modal
from bot.slack.forms import View, lead_form
from bot.slack.lanes import Lanes
from bot.slack.listeners.actions import handoff_requested
from bot.slack.live_blocks import (
    END,
    HAND_BACK,
    RECORD_ANSWERS,
    REQUEST_HANDOFF,
    RETURN_TO_NURTURE,
    TAKE,
)
from bot.slack.runner import in_transaction, slack_user
from dialogs import live
from dialogs.sdr_call import ask_for_handoff
from storage.handoff_view import HandoffView, handoff_view
from storage.leads import get_lead


def _clicked(body: dict[str, Any], action: dict[str, Any]) -> tuple[str, int]:
    """Who clicked (Slack id) and which live chat the button belongs to."""
    return str(body["user"]["id"]), int(action["value"])


def _thread_of(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """The channel and thread of the clicked message, to answer the clicker there."""
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id")
    return channel, message.get("thread_ts") or message.get("ts")


def register(app: AsyncApp, runtime: Runtime, lanes: Lanes) -> None:
    approval_channel = runtime.settings.slack_approval_channel

    @app.action(TAKE)
    async def take(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """First take wins; the card and the owner's controls follow from the outbox."""
        await ack()
        slack_id, live_chat_id = _clicked(body, action)
        now = datetime.now(UTC)

        async def take_it() -> None:
            await in_transaction(
                runtime,
                lambda session: live.take_chat(
                    session=session,
                    live_chat_id=live_chat_id,
                    user=slack_user(session, slack_id),
                    now=now,
                ),
            )

        await lanes.after_ack(take_it, body=body, client=client)

    @app.action(RECORD_ANSWERS)
    async def record_answers(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """The /qualify call form for the chat's lead (the trigger id expires in 3 s)."""
        await ack()
        slack_id, live_chat_id = _clicked(body, action)

        def work(session: Session) -> View:
            chat = live.chat_for_controls(
                session=session, live_chat_id=live_chat_id, user=slack_user(session, slack_id)
            )
            lead = get_lead(session=session, lead_id=chat.lead_id)
            return lead_form(session=session, runtime=runtime, lead=lead)

        async def open_form() -> None:
            view = await in_transaction(runtime, work, read_only=True)
            await client.views_open(trigger_id=body["trigger_id"], view=view)

        await lanes.after_ack(open_form, body=body, client=client)

    @app.action(REQUEST_HANDOFF)
    async def request_handoff(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """As the Request handoff button after a call: the lead is accepted and its handoff
        requested (the approval card goes out through the outbox)."""
        await ack()
        slack_id, live_chat_id = _clicked(body, action)

        def work(session: Session) -> tuple[HandoffView, bool]:
            user = slack_user(session, slack_id)
            chat = live.chat_for_controls(session=session, live_chat_id=live_chat_id, user=user)
            request, created = ask_for_handoff(
                session=session, lead_id=chat.lead_id, user=user, rules=runtime.rules
            )
            session.flush()
            return handoff_view(session=session, request_id=request.id or 0), created

        async def ask() -> None:
            view, created = await in_transaction(runtime, work)
            text = handoff_requested(view, created=created, approval_channel=approval_channel)
            channel, thread_ts = _thread_of(body)
            if text is not None and channel:
                await client.chat_postEphemeral(
                    channel=channel, user=slack_id, text=text, thread_ts=thread_ts
                )

        await lanes.after_ack(ask, body=body, client=client)

    @app.action(RETURN_TO_NURTURE)
    async def return_to_nurture(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Ask for the reason marketing will get (the modal's submission moves the lead)."""
        await ack()
        slack_id, live_chat_id = _clicked(body, action)

        async def ask_why() -> None:
            chat = await in_transaction(
                runtime,
                lambda session: live.chat_for_controls(
                    session=session, live_chat_id=live_chat_id, user=slack_user(session, slack_id)
                ),
                read_only=True,
            )
            view = nurture_modal(lead_id=chat.lead_id)
            await client.views_open(trigger_id=body["trigger_id"], view=view)

        await lanes.after_ack(ask_why, body=body, client=client)

    @app.action(HAND_BACK)
    async def hand_back(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """The bot takes the conversation back; the thread is told by the outbox."""
        await ack()
        slack_id, live_chat_id = _clicked(body, action)
        now = datetime.now(UTC)

        async def give_back() -> None:
            await in_transaction(
                runtime,
                lambda session: live.hand_back(
                    session=session,
                    engine=runtime.dialogs,
                    live_chat_id=live_chat_id,
                    user=slack_user(session, slack_id),
                    now=now,
                ),
            )

        await lanes.after_ack(give_back, body=body, client=client)

    @app.action(END)
    async def end(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """End the chat; the conversation is finished and the thread told by the outbox."""
        await ack()
        slack_id, live_chat_id = _clicked(body, action)
        now = datetime.now(UTC)

        async def end_it() -> None:
            await in_transaction(
                runtime,
                lambda session: live.end_chat(
                    session=session,
                    engine=runtime.dialogs,
                    live_chat_id=live_chat_id,
                    user=slack_user(session, slack_id),
                    now=now,
                ),
            )

        await lanes.after_ack(end_it, body=body, client=client)
