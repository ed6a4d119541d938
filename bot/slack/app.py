"""The slack-bolt app: built from settings, listeners registered by kind, one error handler."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack.listeners import (
    access,
    actions,
    claims,
    commands,
    events,
    live_chats,
    messages,
    shortcuts,
    views,
)
from bot.slack.runner import in_transaction
from storage.slack_events import claim_slack_event

logger = logging.getLogger("baton.slack")
RATE_LIMIT_RETRIES = 3
# Events whose listener claims the event id itself, in the transaction that applies the event
# (bot.slack.listeners.messages): a claim committed apart from its answer would let a crash
# before the answer is stored drop Slack's retry as a duplicate.
CLAIMED_WITH_THE_CHANGE = frozenset({"message", "app_mention"})


def web_client(settings: Settings) -> AsyncWebClient:
    """A Web API client that retries connection errors and waits out 429s (Retry-After)."""
    return AsyncWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    )


def build_slack_app(settings: Settings, runtime: Runtime) -> AsyncApp:
    """The bolt app for `settings` (which must have a bot token and signing secret).

    `process_before_response=False`: bolt answers Slack as soon as a listener calls `ack()` and
    lets the listener finish afterwards, so slow work never pushes the answer past 3 seconds.
    """
    app = AsyncApp(
        signing_secret=settings.slack_signing_secret,
        client=web_client(settings),
        process_before_response=False,
        logger=logger,
    )

    @app.middleware
    async def once_per_event(
        body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        """Slack retries an event it thinks was lost; apply each event id once (any worker).
        A failure to claim raises: bolt answers 500, and Slack retries."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        kind = str((body.get("event") or {}).get("type", "event"))
        if isinstance(event_id, str) and kind not in CLAIMED_WITH_THE_CHANGE:
            fresh = await in_transaction(
                runtime,
                lambda session: claim_slack_event(session=session, event_id=event_id, kind=kind),
            )
            if not fresh:
                return BoltResponse(status=200, body="")
        await next()
        return None

    @app.error
    async def on_error(error: Exception) -> None:
        """Refusals are explained by the listeners (bot.slack.refusals); this is for bugs and
        Slack API failures that survived the retries: logged, never re-raised."""
        logger.error("Slack listener failed: %s", type(error).__name__, exc_info=error)

    for module in (
        commands,
        views,
        actions,
        shortcuts,
        events,
        messages,
        claims,
        access,
        live_chats,
    ):
        module.register(app, runtime)
    return app
