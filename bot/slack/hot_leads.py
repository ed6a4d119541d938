"""Hot leads in the SDR channel: a card with a Claim button, updated once someone claims it.

`lead.hot` posts the card (when BATON_SLACK_SDR_CHANNEL is set) and records it; `lead.claimed`
re-renders every card of the lead with who claimed it. Both render from the database at
delivery time, so a card posted after its lead was claimed shows the owner, not a button.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack.hot_lead_blocks import hot_lead_blocks, hot_lead_text
from bot.slack.runner import in_transaction
from storage.hot_lead_view import (
    HotLeadView,
    hot_lead_posts,
    hot_lead_view,
    posted_since,
    record_hot_post,
)
from storage.hot_leads import CLAIMED, HOT
from storage.models import OutboxItem, SlackPost

if TYPE_CHECKING:
    from bot.outbox import OutboxDispatcher


def register(dispatcher: OutboxDispatcher, runtime: Runtime, client: AsyncWebClient) -> None:
    """Subscribe this module's handlers to the outbox."""
    settings = runtime.settings

    async def post_card(rt: Runtime, item: OutboxItem) -> None:
        """Post the card once per cause: a redelivery (or a cause queued before the last card
        went out) finds a card posted since it was queued and posts nothing."""
        channel = settings.slack_sdr_channel
        if not channel:
            return
        lead_id = int(item.payload["lead_id"])

        def load(session: Session) -> HotLeadView | None:
            if posted_since(session=session, lead_id=lead_id, since=item.created_at):
                return None
            return hot_lead_view(session=session, lead_id=lead_id)

        view = await in_transaction(rt, load)
        if view is None:
            return
        response = await client.chat_postMessage(
            channel=channel,
            text=hot_lead_text(view),
            blocks=hot_lead_blocks(view, dashboard_url=settings.public_url),
            unfurl_links=False,
        )
        posted_in, ts = str(response["channel"]), str(response["ts"])
        await in_transaction(
            rt,
            lambda session: record_hot_post(
                session=session, lead_id=lead_id, channel=posted_in, ts=ts
            ),
        )

    async def show_claim(rt: Runtime, item: OutboxItem) -> None:
        """Replace the Claim button of every card of the lead by who claimed it and when."""
        lead_id = int(item.payload["lead_id"])
        at = item.payload.get("at")
        claimed_at = datetime.fromisoformat(at) if isinstance(at, str) else None

        def load(session: Session) -> tuple[HotLeadView, list[SlackPost]]:
            view = hot_lead_view(session=session, lead_id=lead_id)
            return view, hot_lead_posts(session=session, lead_id=lead_id)

        view, posts = await in_transaction(rt, load)
        blocks = hot_lead_blocks(view, dashboard_url=settings.public_url, claimed_at=claimed_at)
        for post in posts:
            await client.chat_update(
                channel=post.channel, ts=post.ts, text=hot_lead_text(view), blocks=blocks
            )

    dispatcher.register(HOT, post_card)
    dispatcher.register(CLAIMED, show_claim)
