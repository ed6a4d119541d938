"""The App Home tab: published when opened, and its call-form buttons.

Retried event deliveries are dropped by the app's middleware. The Home's other buttons reuse
the listeners of the same actions elsewhere (Request handoff, Approve / Reject, Claim).
"""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack.forms import View, lead_form
from bot.slack.home import CALL_FORM
from bot.slack.home_updates import publish_home
from bot.slack.lanes import Lanes
from bot.slack.linking import ensure_linked
from bot.slack.runner import in_transaction, slack_user
from storage.leads import get_lead


def register(app: AsyncApp, runtime: Runtime, lanes: Lanes) -> None:
    @app.event("app_home_opened")
    async def home(body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient) -> None:
        """Publish the person's Home (a stranger whose email was added is linked first)."""
        if event.get("tab", "home") != "home":
            return  # the Messages tab: nothing to publish
        slack_id = str(event["user"])

        async def publish() -> None:
            await ensure_linked(client, runtime, slack_id)
            await publish_home(client, runtime, slack_id)

        await lanes.after_ack(publish, body=body, client=client)

    @app.action(CALL_FORM)
    async def call_form(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Qualify / Log the call: the trigger id expires in 3 s, so the form opens right after
        the ack."""
        await ack()
        lead_id = int(action["value"])

        def work(session: Session) -> View:
            slack_user(session, body["user"]["id"])
            return lead_form(
                session=session, runtime=runtime, lead=get_lead(session=session, lead_id=lead_id)
            )

        async def open_form() -> None:
            view = await in_transaction(runtime, work, read_only=True)
            await client.views_open(trigger_id=body["trigger_id"], view=view)

        await lanes.after_ack(open_form, body=body, client=client)
