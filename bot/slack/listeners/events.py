"""Events API: the App Home tab. Retried deliveries are dropped by the app's middleware."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack.blocks import home_view, unknown_home
from bot.slack.runner import in_transaction
from storage.home import home_for
from storage.users import get_user_by_slack_id


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.event("app_home_opened")
    async def home(event: dict[str, Any], client: AsyncWebClient) -> None:
        slack_id = str(event["user"])

        def work(session: Session) -> dict[str, Any]:
            user = get_user_by_slack_id(session=session, slack_user_id=slack_id)
            if user is None:
                return unknown_home(slack_id)
            return home_view(home_for(session=session, user=user))

        view = await in_transaction(runtime, work)
        await client.views_publish(user_id=slack_id, view=view)
