"""Keeping Home tabs fresh: publishing a person's Home, and re-publishing it after a stage move.

`lead.stage_changed` re-publishes the Home of the lead's owner and, when the move touches the
approvals (to or from SAL or SQL), the Homes of the active managers. Views are built from the
database at delivery time; a failed publish fails the item, which the outbox retries.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack.home import View, home_view, unknown_home
from bot.slack.runner import in_transaction
from qualification.stages import Role, Stage
from storage.home import ManagerBoard, home_for, manager_board
from storage.models import Lead, OutboxItem, User
from storage.users import get_user_by_slack_id, slack_managers

if TYPE_CHECKING:
    from bot.outbox import OutboxDispatcher

STAGE_CHANGED = "lead.stage_changed"
APPROVAL_STAGES = {Stage.SAL.value, Stage.SQL.value}


log = logging.getLogger("baton.slack")


def home_of(session: Session, slack_user_id: str, now: datetime) -> View:
    """The Home this Slack account sees now: its own, or the first-use Home of a stranger."""
    user = get_user_by_slack_id(session=session, slack_user_id=slack_user_id)
    if user is None or not user.active:
        return unknown_home(slack_user_id)
    return home_view(home_for(session=session, user=user, now=now))


async def publish_home(client: AsyncWebClient, runtime: Runtime, slack_user_id: str) -> None:
    """Build this person's Home in one transaction, then publish it."""
    now = datetime.now(UTC)
    view = await in_transaction(
        runtime, lambda session: home_of(session, slack_user_id, now), read_only=True
    )
    await client.views_publish(user_id=slack_user_id, view=view)


def _linked(users: list[User]) -> dict[str, User]:
    return {user.slack_user_id: user for user in users if user.slack_user_id and user.active}


def homes_after_move(
    session: Session, *, lead_id: int, approvals: bool, now: datetime
) -> dict[str, View]:
    """The Homes a move of this lead changes, by Slack id: its owner's, and every active
    manager's when `approvals` (the board is built once and shared)."""
    audience: dict[str, User] = {}
    lead = session.get(Lead, lead_id)
    owner = session.get(User, lead.owner_id) if lead is not None and lead.owner_id else None
    if owner is not None:
        audience.update(_linked([owner]))
    if approvals:
        audience.update(_linked(slack_managers(session=session)))
    board: ManagerBoard | None = None
    if any(user.role is Role.MANAGER for user in audience.values()):
        board = manager_board(session=session, now=now)
    return {
        slack_id: home_view(home_for(session=session, user=user, now=now, board=board))
        for slack_id, user in audience.items()
    }


async def refresh_homes_for_lead(
    client: AsyncWebClient, runtime: Runtime, *, lead_id: int, approvals: bool
) -> None:
    """Re-publish the Homes that show this lead (for handlers of other lead events too)."""
    now = datetime.now(UTC)
    views = await in_transaction(
        runtime,
        lambda session: homes_after_move(session, lead_id=lead_id, approvals=approvals, now=now),
    )
    for slack_id, view in views.items():
        await client.views_publish(user_id=slack_id, view=view)


async def refresh_quietly(
    client: AsyncWebClient, runtime: Runtime, *, lead_id: int, approvals: bool
) -> None:
    """`refresh_homes_for_lead` for handlers whose own work is done: a Home that fails to
    refresh is logged, not retried, so the handler's other effects are not repeated."""
    try:
        await refresh_homes_for_lead(client, runtime, lead_id=lead_id, approvals=approvals)
    except Exception:
        log.warning("could not refresh the Homes showing lead %s", lead_id, exc_info=True)


def register(dispatcher: OutboxDispatcher, runtime: Runtime, client: AsyncWebClient) -> None:
    """Subscribe this module's handlers to the outbox."""
    del runtime  # each handler gets the runtime it runs with

    async def stage_changed(rt: Runtime, item: OutboxItem) -> None:
        payload: dict[str, Any] = item.payload
        approvals = bool({payload.get("from"), payload.get("to")} & APPROVAL_STAGES)
        await refresh_homes_for_lead(
            client, rt, lead_id=int(payload["lead_id"]), approvals=approvals
        )

    dispatcher.register(STAGE_CHANGED, stage_changed)
