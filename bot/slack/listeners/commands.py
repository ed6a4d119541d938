"""Slash commands: /qualify opens the call form (or a form to add the lead first)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.slack.forms import qualify_form
from bot.slack.refusals import refusals_explained
from bot.slack.runner import in_transaction


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.command("/qualify")
    @refusals_explained
    async def qualify(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """`/qualify [email|name]`: the trigger id expires in 3 s, so the modal opens at once."""
        await ack()
        view = await in_transaction(
            runtime,
            lambda session: qualify_form(
                session=session,
                runtime=runtime,
                slack_user_id=body["user_id"],
                query=body.get("text") or "",
            ),
        )
        await client.views_open(trigger_id=body["trigger_id"], view=view)
