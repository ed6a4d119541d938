"""Refused actions (domain errors) explained to the person, in one place for every listener.

Listeners ack first and then do the work, so a refusal cannot become an HTTP status: the person
gets an ephemeral message in the channel they acted in, or a DM when there is none (modals).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.access_cards import unknown_user_blocks
from bot.slack.errors import UnknownSlackUser, explain
from qualification.errors import BatonError

Listener = Callable[..., Awaitable[None]]


async def tell(client: AsyncWebClient, body: dict[str, Any], error: BatonError) -> None:
    """Send the explanation of `error` to the person whose request `body` is."""
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
    if not user:
        return
    # A stranger also gets a Request access button (bot.slack.listeners.access).
    blocks = (
        unknown_user_blocks(error.slack_user_id) if isinstance(error, UnknownSlackUser) else None
    )
    # A click on a message in a thread is answered in that thread.
    message = body.get("message") or {}
    thread_ts = message.get("thread_ts") if message.get("thread_ts") != message.get("ts") else None
    if channel:
        await client.chat_postEphemeral(
            channel=channel, user=user, text=explain(error), blocks=blocks, thread_ts=thread_ts
        )
    else:
        await client.chat_postMessage(channel=user, text=explain(error), blocks=blocks)


def refusals_explained(listener: Listener) -> Listener:
    """Wrap a listener (which must take `body` and `client`) so a BatonError it raises is told
    to the person instead of failing the request; anything else reaches the app's error handler.
    """

    @functools.wraps(listener)
    async def wrapper(**kwargs: Any) -> None:
        try:
            await listener(**kwargs)
        except BatonError as error:
            ack = kwargs.get("ack")
            if ack is not None and ack.response is None:
                await ack()  # refused before acknowledging: close the modal or command
            await tell(kwargs["client"], kwargs["body"], error)

    return wrapper
