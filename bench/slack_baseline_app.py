"""The Slack ack baseline: a minimal bolt AsyncApp behind the same FastAPI adapter that acks
the same slash command and button at once. Run by uvicorn like `baton serve`:
`SLACK_SIGNING_SECRET=… SLACK_BOT_TOKEN=… BATON_SLACK_API_URL=… uvicorn
bench.slack_baseline_app:create --factory`."""

from __future__ import annotations

import os

from fastapi import FastAPI, Request, Response
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def create() -> FastAPI:
    bolt = AsyncApp(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        client=AsyncWebClient(
            token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["BATON_SLACK_API_URL"]
        ),
        process_before_response=False,
    )

    @bolt.command("/qualify")
    async def qualify(ack: AsyncAck) -> None:
        await ack()

    @bolt.action("handoff_approve")
    async def approve(ack: AsyncAck) -> None:
        await ack()

    handler = AsyncSlackRequestHandler(bolt)
    app = FastAPI(title="slack baseline")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/slack/events")
    async def events(request: Request) -> Response:
        return await handler.handle(request)

    return app
