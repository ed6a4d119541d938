"""Running database work from async Slack listeners: in a thread, one transaction each.

The thread pool is the one of the work's lane (bot.slack.lanes): a request's own work before its
ack runs on the ack lane's threads, the work a listener leaves for after the ack on the
after-ack lane's, so that a backlog of the second never delays the first. The lane is chosen by
a context variable that the lane sets around its work (`pool`; asyncio copies it into every
task started from there), so the helpers that every listener shares need no pool argument;
outside the lanes (the outbox worker) asyncio's default executor runs the work.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from typing import TypeVar

from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack.errors import UnknownSlackUser
from qualification.errors import PermissionDenied
from qualification.stages import Role
from storage.db import read_session
from storage.models import User
from storage.users import get_user_by_slack_id, has_unlinked_users

T = TypeVar("T")

_POOL: contextvars.ContextVar[Executor | None] = contextvars.ContextVar(
    "baton_slack_pool", default=None
)


@contextmanager
def pool(executor: Executor) -> Iterator[None]:
    """Run the `in_transaction` calls of this task (and of tasks it starts) on `executor`."""
    token = _POOL.set(executor)
    try:
        yield
    finally:
        _POOL.reset(token)


async def in_transaction(
    runtime: Runtime, work: Callable[[Session], T], *, read_only: bool = False
) -> T:
    """Run `work` in a worker thread with its own session and commit when it returns.

    `read_only` work never writes: on SQLite its transaction then neither waits for nor holds
    the write lock, so lookups do not queue behind writers (a write in it fails)."""

    def run() -> T:
        session = read_session(runtime.engine) if read_only else runtime.session()
        with session:
            result = work(session)
            session.commit()
            return result

    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    return await loop.run_in_executor(_POOL.get(), functools.partial(context.run, run))


def slack_user(session: Session, slack_user_id: str) -> User:
    """The active Baton user linked to this Slack account; UnknownSlackUser otherwise (which
    says, from this same transaction, whether linking by email is worth a try)."""
    user = get_user_by_slack_id(session=session, slack_user_id=slack_user_id)
    if user is None or not user.active:
        raise UnknownSlackUser(slack_user_id, linkable=has_unlinked_users(session=session))
    return user


def slack_manager(session: Session, slack_user_id: str) -> User:
    """Like `slack_user`, but only a manager passes (PermissionDenied otherwise)."""
    user = slack_user(session, slack_user_id)
    if user.role is not Role.MANAGER:
        raise PermissionDenied(
            f"only managers can approve or reject handoffs ({user.email} is not)"
        )
    return user
