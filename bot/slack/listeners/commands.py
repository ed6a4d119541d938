"""Slash commands: /qualify opens the call form (or a form to add the lead first)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.slack.forms import qualify_form
from bot.slack.lanes import Lanes
from bot.slack.runner import in_transaction


def register(app: AsyncApp, runtime: Runtime, lanes: Lanes) -> None:
    @app.command("/qualify")
    async def qualify(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """`/qualify [email|name]`: the trigger id expires in 3 s, so the modal opens right
        after the ack."""
        await ack()

        async def open_form() -> None:
            view = await in_transaction(
                runtime,
                lambda session: qualify_form(
                    session=session,
                    runtime=runtime,
                    slack_user_id=body["user_id"],
                    query=body.get("text") or "",
                ),
                read_only=True,
            )
            await client.views_open(trigger_id=body["trigger_id"], view=view)

        await lanes.after_ack(open_form, body=body, client=client)
