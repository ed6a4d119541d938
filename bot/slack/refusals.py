"""Refused actions (domain errors) explained to the person, in one place for every listener.

Listeners ack first and then do the work (bot.slack.lanes), so a refusal cannot become an HTTP
status: the person gets an ephemeral message in the channel they acted in, or a DM when there
is none (modals, the Home tab).
"""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.access_cards import unknown_user_blocks
from bot.slack.errors import UnknownSlackUser, explain
from qualification.errors import BatonError


async def say(
    client: AsyncWebClient,
    body: dict[str, Any],
    text: str,
    blocks: list[dict[str, Any]] | None = None,
) -> None:
    """Tell the person whose request `body` is: where they acted, or in a DM."""
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
    if not user:
        return
    # A click on a message in a thread is answered in that thread.
    message = body.get("message") or {}
    thread_ts = message.get("thread_ts") if message.get("thread_ts") != message.get("ts") else None
    if channel:
        await client.chat_postEphemeral(
            channel=channel, user=user, text=text, blocks=blocks, thread_ts=thread_ts
        )
    else:
        await client.chat_postMessage(channel=user, text=text, blocks=blocks)


async def tell(client: AsyncWebClient, body: dict[str, Any], error: BatonError) -> None:
    """Send the explanation of `error` to the person whose request `body` is."""
    # A stranger also gets a Request access button (bot.slack.listeners.access).
    blocks = (
        unknown_user_blocks(error.slack_user_id) if isinstance(error, UnknownSlackUser) else None
    )
    await say(client, body, explain(error), blocks)
