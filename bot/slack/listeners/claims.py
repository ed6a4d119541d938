"""The Claim button of hot-lead cards: the first SDR to click owns the lead.

The cards themselves are updated by the outbox (`lead.claimed`, bot/slack/hot_leads.py), so
every copy of the card changes however the claim was made; the clicker is told at once.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack.hot_lead_blocks import CLAIM, claimed_message
from bot.slack.lanes import Lanes
from bot.slack.runner import in_transaction, slack_user
from storage.hot_lead_view import HotLeadView, hot_lead_view
from storage.hot_leads import claim_lead


def register(app: AsyncApp, runtime: Runtime, lanes: Lanes) -> None:
    settings = runtime.settings

    @app.action(CLAIM)
    async def claim(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        slack_id = body["user"]["id"]
        lead_id = int(action["value"])

        def work(session: Session) -> tuple[HotLeadView, bool]:
            user = slack_user(session, slack_id)
            result = claim_lead(session=session, lead_id=lead_id, user=user)
            session.flush()
            return hot_lead_view(session=session, lead_id=lead_id), result.claimed

        async def take() -> None:
            view, claimed = await in_transaction(runtime, work)
            text = claimed_message(view, claimed=claimed, dashboard_url=settings.public_url)
            channel = (body.get("channel") or {}).get("id")
            if channel:
                await client.chat_postEphemeral(channel=channel, user=slack_id, text=text)
            else:
                await client.chat_postMessage(channel=slack_id, text=text)

        await lanes.after_ack(take, body=body, client=client)
