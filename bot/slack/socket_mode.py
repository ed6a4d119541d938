"""Socket Mode, for local development: the same bolt app over a websocket, no public URL.

Slack sends every command, interaction and event over a websocket that Baton opens with the
app-level token (xapp-…), so a laptop behind NAT can run the bot. Production runs the app in
HTTP mode (`baton serve`), which scales to several workers; Socket Mode is one process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.outbox import build_dispatcher, outbox_loop
from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack.app import build_slack_app
from bot.slack.http import SlackHttp
from qualification.errors import BatonError

logger = logging.getLogger("baton.slack")
_SHUTDOWN_SECONDS = 10.0


class SocketModeUnavailable(BatonError):
    """Socket Mode cannot start: a credential is missing, malformed or refused by Slack."""


@dataclass(frozen=True)
class Connected:
    """Who Baton is connected as, once the websocket is open."""

    team: str
    bot_user: str


def missing_credentials(settings: Settings) -> list[str]:
    """The environment variables Socket Mode needs that are unset, in the order to set them."""
    wanted = {
        "SLACK_APP_TOKEN": settings.slack_app_token,
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "SLACK_SIGNING_SECRET": settings.slack_signing_secret,
    }
    return [name for name, value in wanted.items() if not value]


def check_credentials(settings: Settings) -> None:
    """Refuse to start without the three credentials, or with a bot token as the app token."""
    missing = missing_credentials(settings)
    if missing:
        raise SocketModeUnavailable(
            f"Socket Mode needs {', '.join(missing)} in the environment. The app-level token"
            " (xapp-…, scope connections:write) is under Basic Information → App-Level Tokens;"
            " the bot token under OAuth & Permissions; the signing secret under Basic Information."
        )
    if not (settings.slack_app_token or "").startswith("xapp-"):
        raise SocketModeUnavailable(
            "SLACK_APP_TOKEN must be an app-level token (xapp-…), not a bot or user token;"
            " create one under Basic Information → App-Level Tokens with connections:write."
        )


async def run_socket_mode(
    runtime: Runtime,
    stop: asyncio.Event,
    *,
    on_connected: Callable[[Connected], None] | None = None,
) -> None:
    """Serve Slack over Socket Mode, and deliver the outbox, until `stop` is set.

    Both credentials are tried before anything else starts, so a wrong token is one clear
    error instead of endless reconnection attempts.
    """
    check_credentials(runtime.settings)
    http = SlackHttp()
    async with http.running():  # one pool of Web API connections, closed last
        await _serve(runtime, stop, http, on_connected)


async def _serve(
    runtime: Runtime,
    stop: asyncio.Event,
    http: SlackHttp,
    on_connected: Callable[[Connected], None] | None,
) -> None:
    settings = runtime.settings
    app = build_slack_app(settings, runtime, http=http)
    identity = await _checked(app.client.auth_test(), "SLACK_BOT_TOKEN", settings)
    opened = await _checked(
        app.client.apps_connections_open(app_token=settings.slack_app_token or ""),
        "SLACK_APP_TOKEN",
        settings,
    )

    handler = AsyncSocketModeHandler(app, app_token=settings.slack_app_token, logger=logger)
    handler.client.wss_uri = str(opened["url"])  # the URL just issued: no second request
    worker: asyncio.Task[None] | None = None
    if settings.outbox_worker:
        worker = asyncio.create_task(
            outbox_loop(runtime, build_dispatcher(runtime, slack_http=http), stop)
        )
    # The client retries a websocket it cannot open for ever: `stop` must end that too.
    connecting = asyncio.ensure_future(handler.connect_async())  # type: ignore[no-untyped-call]
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if connecting.done():
            connecting.result()
            if on_connected is not None:
                who = Connected(team=str(identity["team"]), bot_user=str(identity["user"]))
                on_connected(who)
            await stopping
    finally:
        stop.set()
        for task in (connecting, stopping):
            task.cancel()
        await asyncio.gather(connecting, stopping, return_exceptions=True)
        await _close(handler)
        if worker is not None:
            try:
                # A delivery stuck on the network must not hold up shutdown for ever.
                await asyncio.wait_for(worker, timeout=_SHUTDOWN_SECONDS)
            except TimeoutError:
                logger.warning("the outbox worker did not stop in time; stopping anyway")


async def _checked(
    call: Awaitable[AsyncSlackResponse], variable: str, settings: Settings
) -> AsyncSlackResponse:
    """Await one Web API call; a refusal or an unreachable Slack becomes one clear error."""
    try:
        return await call
    except SlackApiError as error:
        reason = error.response.get("error", "unknown error")
        raise SocketModeUnavailable(f"Slack refused {variable}: {reason}") from error
    except (aiohttp.ClientError, OSError) as error:
        raise SocketModeUnavailable(
            f"cannot reach the Slack Web API at {settings.slack_api_url}: {error}"
        ) from error


async def _close(handler: AsyncSocketModeHandler) -> None:
    """Close the websocket and wait for the client's own tasks to finish cancelling."""
    client = handler.client
    await handler.close_async()  # type: ignore[no-untyped-call]
    tasks = [
        task
        for task in (
            client.message_processor,
            client.current_session_monitor,
            client.message_receiver,
        )
        if task is not None
    ]
    await asyncio.gather(*tasks, return_exceptions=True)
