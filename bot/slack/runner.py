"""Running database work from async Slack listeners: in a thread, one transaction each."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack.errors import UnknownSlackUser
from qualification.errors import PermissionDenied
from qualification.stages import Role
from storage.models import User
from storage.users import get_user_by_slack_id

T = TypeVar("T")


async def in_transaction(runtime: Runtime, work: Callable[[Session], T]) -> T:
    """Run `work` in a worker thread with its own session and commit when it returns."""

    def run() -> T:
        with runtime.session() as session:
            result = work(session)
            session.commit()
            return result

    return await asyncio.to_thread(run)


def slack_user(session: Session, slack_user_id: str) -> User:
    """The active Baton user linked to this Slack account; UnknownSlackUser otherwise."""
    user = get_user_by_slack_id(session=session, slack_user_id=slack_user_id)
    if user is None or not user.active:
        raise UnknownSlackUser(slack_user_id)
    return user


def slack_manager(session: Session, slack_user_id: str) -> User:
    """Like `slack_user`, but only a manager passes (PermissionDenied otherwise)."""
    user = slack_user(session, slack_user_id)
    if user.role is not Role.MANAGER:
        raise PermissionDenied(
            f"only managers can approve or reject handoffs ({user.email} is not)"
        )
    return user
