"""First use: link strangers by email, Request access, and managers' Add as SDR / manager.

A person whose email an administrator already added is linked the first time Baton does not
know them (bot.slack.linking, from bot.slack.lanes). Anyone else is refused with a Request
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
from bot.slack.lanes import Lanes
from bot.slack.linking import ensure_linked, profile_or_none
from bot.slack.mrkdwn import safe
from bot.slack.refusals import say
from bot.slack.runner import in_transaction, slack_user
from qualification.stages import Role
from storage.access_requests import queue_access_granted, queue_access_request
from storage.users import add_user_from_slack


def register(app: AsyncApp, runtime: Runtime, lanes: Lanes) -> None:
    settings = runtime.settings

    @app.action(REQUEST_ACCESS)
    async def request_access(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """Ask the managers (at most once a day), unless the email links the person."""
        await ack()
        slack_id = body["user"]["id"]

        async def ask() -> None:
            if await ensure_linked(client, runtime, slack_id):
                await publish_home(client, runtime, slack_id)
                await say(client, body, "You're in: Baton knows you now.")
                return
            if not settings.slack_approval_channel:
                await say(client, body, f"No approval channel is set up. {admin_hint(slack_id)}.")
                return
            today = datetime.now(UTC).date()
            asked = await in_transaction(
                runtime,
                lambda session: queue_access_request(
                    session=session, slack_user_id=slack_id, today=today
                ),
            )
            view = unknown_home(slack_id, requested=True)
            await client.views_publish(user_id=slack_id, view=view)
            if (body.get("container") or {}).get("type") != "view":  # not clicked on the Home tab
                await say(
                    client,
                    body,
                    "Request sent to the managers." if asked else "You already asked today.",
                )

        await lanes.after_ack(ask, body=body, client=client)

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
            await say(
                client,
                body,
                f"<@{safe(slack_id, 40)}> is already a Baton user ({ROLE_LABEL[actual]});"
                " nothing changed.",
            )

    @app.action(ADD_AS_SDR)
    @app.action(ADD_AS_MANAGER)
    async def add_person(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()

        async def add_them() -> None:
            await add(body, action, client)

        await lanes.after_ack(add_them, body=body, client=client)
