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
from bot.slack.http import PooledWebClient, SlackHttp
from bot.slack.lanes import Lanes
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
from storage.slack_events import claim_slack_event

logger = logging.getLogger("baton.slack")
RATE_LIMIT_RETRIES = 3
# Events whose listener claims the event id itself, in the transaction that applies the event
# (bot.slack.listeners.messages): a claim committed apart from its answer would let a crash
# before the answer is stored drop Slack's retry as a duplicate.
CLAIMED_WITH_THE_CHANGE = frozenset({"message", "app_mention"})


def web_client(settings: Settings, http: SlackHttp | None = None) -> AsyncWebClient:
    """A Web API client that retries connection errors and waits out 429s (Retry-After).

    With `http`, its calls share that pool's connections while it runs (bot.slack.http);
    without, slack_sdk opens a connection per call."""
    options: dict[str, Any] = {
        "token": settings.slack_bot_token,
        "base_url": settings.slack_api_url,
        "retry_handlers": [
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
        ],
    }
    return AsyncWebClient(**options) if http is None else PooledWebClient(http, **options)


def build_slack_app(
    settings: Settings,
    runtime: Runtime,
    *,
    lanes: Lanes | None = None,
    http: SlackHttp | None = None,
) -> AsyncApp:
    """The bolt app for `settings` (which must have a bot token and signing secret), doing its
    work on `lanes` (new ones unless given) and calling Slack over `http`'s connections.

    Every listener acks, queues what is left for after the ack (bot.slack.lanes) and returns,
    and bolt answers Slack when it returns (`process_before_response=True`). With False, bolt
    would run each listener as a task of its own and poll every 10 ms for its ack, and the
    work after the ack would share the event loop and the default thread pool, unbounded,
    with the requests still waiting for theirs.
    """
    app = AsyncApp(
        signing_secret=settings.slack_signing_secret,
        client=web_client(settings, http),
        process_before_response=True,
        logger=logger,
    )
    lanes = lanes or Lanes(runtime)

    @app.middleware
    async def once_per_event(
        body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        """Slack retries an event it thinks was lost; apply each event id once (any worker).
        A failure to claim raises: bolt answers 500, and Slack retries."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        kind = str((body.get("event") or {}).get("type", "event"))
        if isinstance(event_id, str) and kind not in CLAIMED_WITH_THE_CHANGE:
            fresh = await lanes.before_ack(
                lambda session: claim_slack_event(session=session, event_id=event_id, kind=kind)
            )
            if not fresh:
                return BoltResponse(status=200, body="")
        await next()
        return None

    @app.error
    async def on_error(error: Exception) -> None:
        """Failures before the ack (bolt then answers 500, and Slack retries an event); the work
        after the ack has its own handling (bot.slack.lanes). Logged, never re-raised."""
        logger.error("Slack listener failed: %s", type(error).__name__, exc_info=error)

    # Bolt tries the listeners in this order, building every one's arguments to see whether it
    # matches (some 30 µs each): the most frequent requests first, modals last.
    for module in (
        commands,
        messages,
        actions,
        claims,
        live_chats,
        access,
        events,
        views,
        shortcuts,
    ):
        module.register(app, runtime, lanes)
    return app
