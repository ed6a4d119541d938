"""Messages Baton sends: approval cards in the managers' channel and DMs to people.

These only talk to Slack; the outbox handlers (bot.slack.handoff_cards) decide when.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.blocks import approval_blocks, approval_text
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


async def post_card(
    client: AsyncWebClient,
    view: HandoffView,
    *,
    channel: str,
    dashboard_url: str | None,
    reminder: str | None = None,
) -> tuple[str, str]:
    """Post the approval card; returns the (channel id, ts) that identify it for updates."""
    response = await client.chat_postMessage(
        channel=channel,
        text=approval_text(view, reminder=reminder),
        blocks=approval_blocks(view, dashboard_url=dashboard_url, reminder=reminder),
    )
    return str(response["channel"]), str(response["ts"])


async def update_card(
    client: AsyncWebClient,
    view: HandoffView,
    *,
    channel: str,
    ts: str,
    dashboard_url: str | None,
) -> None:
    """Show the request as it is now on a card posted earlier (after a decision: who and
    when, no buttons)."""
    await client.chat_update(
        channel=channel,
        ts=ts,
        text=approval_text(view),
        blocks=approval_blocks(view, dashboard_url=dashboard_url),
    )
