"""Linking Slack accounts to Baton users by email, before any listener looks the user up.

An administrator may add a user by email alone (`baton user add ann@acme.com`). The first time
that person acts in Slack (or opens the Home tab), Baton asks Slack for their profile and, when
the confirmed email matches an active user with no Slack account yet, links the two; the
listener then finds them as usual. Slack is asked outside any database transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack.runner import in_transaction
from storage.users import get_user_by_slack_id, has_unlinked_users, link_slack_account

log = logging.getLogger("baton.slack")
# Linking runs before the listener acknowledges, so Slack's answer must not take long.
PROFILE_TIMEOUT_SECONDS = 1.5
_INTERACTIONS = {"block_actions", "view_submission", "shortcut", "message_action"}

Middleware = Callable[..., Awaitable[None]]


@dataclass(frozen=True)
class SlackProfile:
    slack_user_id: str
    name: str
    email: str | None  # None without the users:read.email scope


async def fetch_profile(client: AsyncWebClient, slack_user_id: str) -> SlackProfile | None:
    """The person's name and email from users.info; None for bots and deactivated accounts.
    Slack's refusals raise (SlackApiError)."""
    response = await client.users_info(user=slack_user_id)
    user: dict[str, Any] = response.get("user") or {}
    if user.get("is_bot") or user.get("deleted"):
        return None
    profile: dict[str, Any] = user.get("profile") or {}
    name = profile.get("real_name") or user.get("real_name") or user.get("name") or ""
    email = profile.get("email")
    return SlackProfile(
        slack_user_id=slack_user_id,
        name=str(name),
        email=str(email).strip().lower() if email else None,
    )


def is_member(session: Session, slack_user_id: str) -> bool:
    """True when the account is linked to an active Baton user."""
    user = get_user_by_slack_id(session=session, slack_user_id=slack_user_id)
    return user is not None and user.active


async def profile_or_none(client: AsyncWebClient, slack_user_id: str) -> SlackProfile | None:
    """Like `fetch_profile`, but a Slack failure or a slow answer gives None (logged)."""
    try:
        return await asyncio.wait_for(fetch_profile(client, slack_user_id), PROFILE_TIMEOUT_SECONDS)
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
        log.warning("users.info failed for %s: %s", slack_user_id, error)
        return None


async def ensure_linked(client: AsyncWebClient, runtime: Runtime, slack_user_id: str) -> bool:
    """True when the account is (now) linked to an active Baton user. A Slack failure or a
    slow answer only means "not linked this time": the person is refused and may retry."""
    member, linkable = await in_transaction(
        runtime,
        lambda session: (
            is_member(session, slack_user_id),
            has_unlinked_users(session=session),
        ),
    )
    if member:
        return True
    if not linkable:  # nobody to link to: spare the Slack call (it runs before the ack)
        return False
    profile = await profile_or_none(client, slack_user_id)
    if profile is None or profile.email is None:
        return False
    email = profile.email
    linked = await in_transaction(
        runtime,
        lambda session: link_slack_account(
            session=session, email=email, slack_user_id=slack_user_id
        ),
    )
    if linked is not None:
        log.info("linked Slack account %s to Baton user %s", slack_user_id, linked.id)
    return linked is not None


def acting_user(body: dict[str, Any]) -> str | None:
    """Who acts in this request, for the kinds of request a person makes to Baton: buttons,
    modals, shortcuts, slash commands, opening the Home tab, and direct messages."""
    kind = body.get("type")
    if kind in _INTERACTIONS:
        return (body.get("user") or {}).get("id")
    if body.get("command"):
        return body.get("user_id")
    event = body.get("event") or {}
    if kind == "event_callback" and event.get("type") == "app_home_opened":
        return event.get("user")
    if (
        kind == "event_callback"
        and event.get("type") == "message"
        and event.get("channel_type") == "im"
        and not event.get("bot_id")
        and not event.get("subtype")
    ):
        return event.get("user")
    return None


def link_by_email(runtime: Runtime) -> Middleware:
    """A bolt middleware: link the acting person by email first, so every listener benefits."""

    async def middleware(
        body: dict[str, Any], client: AsyncWebClient, next: Callable[[], Awaitable[None]]
    ) -> None:
        slack_user_id = acting_user(body)
        if isinstance(slack_user_id, str) and slack_user_id:
            await ensure_linked(client, runtime, slack_user_id)
        await next()

    return middleware
