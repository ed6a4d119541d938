"""First-use deliveries: the access request card for managers, and the newcomer's welcome.

`access.requested` posts "<@U…> (name, email) asks to use Baton" with Add buttons to the
approval channel, unless the person got in meanwhile. `access.granted` turns the card's
buttons into who added them, publishes the newcomer's Home and welcomes them by DM.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack.access_cards import (
    access_granted_blocks,
    access_request_blocks,
    access_request_text,
    welcome_text,
)
from bot.slack.home_updates import publish_home
from bot.slack.linking import fetch_profile, is_member
from bot.slack.notify import dm
from bot.slack.runner import in_transaction
from qualification.stages import Role
from storage.access_requests import ACCESS_GRANTED, ACCESS_REQUESTED
from storage.models import OutboxItem, User

if TYPE_CHECKING:
    from bot.outbox import OutboxDispatcher


@dataclass(frozen=True)
class _Granted:
    slack_user_id: str
    name: str
    email: str
    role: Role
    added_by_slack_id: str | None
    added_by_name: str


def _granted(session: Session, item: OutboxItem) -> _Granted | None:
    user = session.get(User, int(item.payload["user_id"]))
    if user is None or not user.slack_user_id:
        return None
    by_id = item.payload.get("added_by_user_id")
    added_by = session.get(User, int(by_id)) if by_id else None
    return _Granted(
        slack_user_id=user.slack_user_id,
        name=user.name,
        email=user.email,
        role=user.role,
        added_by_slack_id=added_by.slack_user_id if added_by else None,
        added_by_name=(added_by.name or added_by.email) if added_by else "a manager",
    )


def register(dispatcher: OutboxDispatcher, runtime: Runtime, client: AsyncWebClient) -> None:
    """Subscribe this module's handlers to the outbox."""
    channel = runtime.settings.slack_approval_channel

    async def post_request(rt: Runtime, item: OutboxItem) -> None:
        slack_user_id = str(item.payload["slack_user_id"])
        if not channel:
            return
        if await in_transaction(rt, lambda session: is_member(session, slack_user_id)):
            return  # linked or added since they asked
        profile = await fetch_profile(client, slack_user_id)
        if profile is None:
            return  # a bot, or an account deactivated since
        await client.chat_postMessage(
            channel=channel,
            text=access_request_text(slack_user_id, profile.name, profile.email),
            blocks=access_request_blocks(slack_user_id, profile.name, profile.email),
        )

    async def welcome(rt: Runtime, item: OutboxItem) -> None:
        granted = await in_transaction(rt, lambda session: _granted(session, item))
        if granted is None:
            return
        card_channel, ts = item.payload.get("channel"), item.payload.get("ts")
        if card_channel and ts:
            blocks = access_granted_blocks(
                granted.slack_user_id,
                granted.name,
                granted.email,
                role=granted.role,
                added_by_slack_id=granted.added_by_slack_id,
                added_by_name=granted.added_by_name,
            )
            await client.chat_update(
                channel=str(card_channel),
                ts=str(ts),
                text=access_request_text(granted.slack_user_id, granted.name, granted.email),
                blocks=blocks,
            )
        await publish_home(client, rt, granted.slack_user_id)
        await dm(client, granted.slack_user_id, welcome_text(granted.role))

    dispatcher.register(ACCESS_REQUESTED, post_request)
    dispatcher.register(ACCESS_GRANTED, welcome)
