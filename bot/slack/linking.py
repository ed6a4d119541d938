"""Linking Slack accounts to Baton users by email, the first time Baton meets them.

An administrator may add a user by email alone (`baton user add ann@acme.com`). The first time
that person acts in Slack (or opens the Home tab), Baton does not know their Slack account: it
asks Slack for their profile and, when the confirmed email matches an active user with no Slack
account yet, links the two and runs the work again. For commands, buttons and the Home tab this
happens in the work after the ack (bot.slack.lanes); a message is an answer that must be stored
before its 200, so for a message it happens before the ack, within PROFILE_TIMEOUT_SECONDS. Only
a miss costs this. Slack is asked outside any database transaction.
"""

from __future__ import annotations

import asyncio
import logging
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
# Linking runs before the work it makes possible, which may have a modal to open within the
# 3 s that its trigger id lives: Slack's answer must not take long.
PROFILE_TIMEOUT_SECONDS = 1.5


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
        read_only=True,
    )
    if member:
        return True
    if not linkable:  # nobody to link to: spare the Slack call
        return False
    return await link_by_email(client, runtime, slack_user_id)


async def link_by_email(client: AsyncWebClient, runtime: Runtime, slack_user_id: str) -> bool:
    """Ask Slack for the account's email and link the account to the active user with that
    email and no Slack account yet; True when linked (now or by a racing request)."""
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
