"""(being written)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import Runtime

if TYPE_CHECKING:
    from bot.outbox import OutboxDispatcher


def register(dispatcher: OutboxDispatcher, runtime: Runtime, client: AsyncWebClient) -> None:
    """Subscribe this module's handlers to the outbox."""
    del dispatcher, runtime, client
