"""The Slack channel: one slack-bolt AsyncApp mounted at /slack/events (HTTP mode)."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler

from bot.runtime import Runtime
from bot.slack.app import build_slack_app
from bot.slack.http import SlackHttp
from bot.slack.lanes import Lanes


def mount_slack(app: FastAPI, runtime: Runtime, *, http: SlackHttp) -> Lanes | None:
    """Mount the Slack endpoints when Slack is configured; otherwise Baton runs without it.
    The app calls Slack over `http`'s connections (the app's lifespan runs it). Returns the
    lanes that do the work after each ack (for the app to let them finish when it stops)."""
    if not runtime.settings.slack_enabled:
        return None
    lanes = Lanes(runtime)
    slack_app = build_slack_app(runtime.settings, runtime, lanes=lanes, http=http)
    handler = AsyncSlackRequestHandler(slack_app)

    @app.post("/slack/events", tags=["slack"], include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        """Every Slack request: slash commands, interactivity, shortcuts and events."""
        with lanes.acking():
            return await handler.handle(request)

    return lanes
