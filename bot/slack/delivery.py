"""Slack side effects delivered by the outbox worker, after the change that caused them commits.

Every handler renders from the database as it is at delivery time, so a late or repeated
delivery shows the current state (a card posted after its decision shows the decision).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.runtime import Runtime
from bot.slack import (
    access_notices,
    chat_replies,
    handoff_cards,
    home_updates,
    hot_leads,
    live_chats,
)
from bot.slack.app import web_client
from bot.slack.http import SlackHttp

if TYPE_CHECKING:
    from bot.outbox import OutboxDispatcher


def register_deliveries(
    dispatcher: OutboxDispatcher, runtime: Runtime, *, http: SlackHttp | None = None
) -> None:
    """Subscribe Slack's handlers (and periodic jobs) to the outbox topics they deliver, which
    call Slack over `http`'s connections (see bot.slack.app.web_client)."""
    client = web_client(runtime.settings, http)
    handoff_cards.register(dispatcher, runtime, client)
    hot_leads.register(dispatcher, runtime, client)
    home_updates.register(dispatcher, runtime, client)
    access_notices.register(dispatcher, runtime, client)
    live_chats.register(dispatcher, runtime, client)
    chat_replies.register(dispatcher, runtime, client)
