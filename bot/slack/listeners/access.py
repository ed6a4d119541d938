"""First use: link strangers by email, Request access, and managers' Add as SDR / manager.

The middleware registered here links a person whose email an administrator already added
(bot.slack.linking) before any listener looks them up. Anyone else is refused with a Request
access button (also on their Home tab); the request reaches the approval channel through the
outbox, and a manager's click adds them (bot.slack.access_notices then welcomes them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack.access_cards import (
    ADD_AS_MANAGER,
    ADD_AS_SDR,
    REQUEST_ACCESS,
    ROLE_LABEL,
    ROLE_OF_ACTION,
    admin_hint,
)
from bot.slack.home import unknown_home
from bot.slack.home_updates import publish_home
from bot.slack.linking import is_member, link_by_email, profile_or_none
from bot.slack.mrkdwn import safe
from bot.slack.notify import dm
from bot.slack.refusals import refusals_explained
from bot.slack.runner import in_transaction, slack_user
from qualification.stages import Role
from storage.access_requests import queue_access_granted, queue_access_request
from storage.users import add_user_from_slack


async def _say(client: AsyncWebClient, body: dict[str, Any], text: str) -> None:
    """An ephemeral note where the person clicked, or a DM (Home tab, modals)."""
    user = body["user"]["id"]
    channel = (body.get("channel") or {}).get("id")
    if channel:
        await client.chat_postEphemeral(channel=channel, user=user, text=text)
    else:
        await dm(client, user, text)


def register(app: AsyncApp, runtime: Runtime) -> None:
    settings = runtime.settings
    app.middleware(link_by_email(runtime))

    @app.action(REQUEST_ACCESS)
    @refusals_explained
    async def request_access(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Ask the managers (at most once a day); the middleware has already tried the email."""
        await ack()
        slack_id = body["user"]["id"]
        if await in_transaction(runtime, lambda session: is_member(session, slack_id)):
            await publish_home(client, runtime, slack_id)
            await _say(client, body, "You're in: Baton knows you now.")
            return
        if not settings.slack_approval_channel:
            await _say(client, body, f"No approval channel is set up. {admin_hint(slack_id)}.")
            return
        today = datetime.now(UTC).date()
        asked = await in_transaction(
            runtime,
            lambda session: queue_access_request(
                session=session, slack_user_id=slack_id, today=today
            ),
        )
        await client.views_publish(user_id=slack_id, view=unknown_home(slack_id, requested=True))
        if (body.get("container") or {}).get("type") != "view":  # not clicked on the Home tab
            await _say(
                client,
                body,
                "Request sent to the managers." if asked else "You already asked today.",
            )

    async def add(body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        manager_slack_id = body["user"]["id"]
        slack_id = str(action["value"])
        role = ROLE_OF_ACTION[str(action["action_id"])]
        profile = await profile_or_none(client, slack_id)
        channel = (body.get("channel") or {}).get("id")
        ts = (body.get("message") or {}).get("ts")

        def work(session: Session) -> tuple[Role, bool]:
            manager = slack_user(session, manager_slack_id)
            user, granted = add_user_from_slack(
                session=session,
                added_by=manager,
                slack_user_id=slack_id,
                email=profile.email if profile else None,
                name=profile.name if profile else "",
                role=role,
            )
            if granted:
                queue_access_granted(
                    session=session, user=user, added_by=manager, channel=channel, ts=ts
                )
            return user.role, granted

        actual, granted = await in_transaction(runtime, work)
        if not granted:
            await _say(
                client,
                body,
                f"<@{safe(slack_id, 40)}> is already a Baton user ({ROLE_LABEL[actual]});"
                " nothing changed.",
            )

    @app.action(ADD_AS_SDR)
    @refusals_explained
    async def add_sdr(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        await add(body, action, client)

    @app.action(ADD_AS_MANAGER)
    @refusals_explained
    async def add_manager(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        await add(body, action, client)
