"""Messages Baton sends: approval cards in the managers' channel and DMs to people."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.settings import Settings
from bot.slack.blocks import approval_blocks, approval_text, decision_dm
from storage.handoff_view import HandoffView


async def dm(
    client: AsyncWebClient,
    slack_user_id: str,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
) -> None:
    """A direct message from the app (posting to a user id opens the app's DM with them)."""
    if blocks is None:
        await client.chat_postMessage(channel=slack_user_id, text=text)
    else:
        await client.chat_postMessage(channel=slack_user_id, text=text, blocks=blocks)


async def post_approval(client: AsyncWebClient, settings: Settings, view: HandoffView) -> bool:
    """Post the request to the approval channel; False when no channel is configured."""
    if not settings.slack_approval_channel:
        return False
    await client.chat_postMessage(
        channel=settings.slack_approval_channel,
        text=approval_text(view),
        blocks=approval_blocks(view, dashboard_url=settings.public_url),
    )
    return True


async def show_decision(
    client: AsyncWebClient, settings: Settings, view: HandoffView, *, channel: str, ts: str
) -> None:
    """Replace the card's buttons by who decided and when, then tell the SDR."""
    await client.chat_update(
        channel=channel,
        ts=ts,
        text=approval_text(view),
        blocks=approval_blocks(view, dashboard_url=settings.public_url),
    )
    if view.requester_slack_id:
        await dm(client, view.requester_slack_id, decision_dm(view))
