"""`/dashboard/outbox`: what Baton still has to deliver (Slack posts, webhooks), what is being
retried, and what gave up ('dead'), with a Retry for each dead item. Managers only.

Items are shown by topic, kind and the ids their payload names, never by the payload itself
(a webhook body carries the lead's data). A retry is a form post that redirects back with
`?retried=ID`, or `?stale=ID` when the item was no longer dead; the page then says what happened
from what the database holds, so the link carries no text of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from bot.dashboard.approvals import Notice
from bot.dashboard.deps import DashboardDep, Manager
from bot.dashboard.pages import render_page
from bot.dashboard.routing import DashboardRoute
from qualification.errors import InvalidInput
from storage.models import OutboxItem
from storage.outbox_worker import (
    DEAD,
    DONE,
    OVERDUE_AFTER,
    PENDING,
    dead_items,
    late_count,
    late_items,
    outbox_item,
    outbox_summary,
    retry_dead,
)

PAGE = "/dashboard/outbox"
SHOWN = 50  # items per table
ERROR_LINES = 2
LINE_CHARS = 200


@dataclass(frozen=True)
class ErrorText:
    """A delivery error as the page shows it: its first lines, and the whole text when those
    do not show all of it."""

    head: tuple[str, ...]
    full: str | None


def error_text(error: str | None, *, lines: int = ERROR_LINES) -> ErrorText | None:
    if error is None or not error.strip():
        return None
    every = [line.rstrip() for line in error.strip().splitlines() if line.strip()]
    head = tuple(
        line if len(line) <= LINE_CHARS else line[: LINE_CHARS - 1] + "…" for line in every[:lines]
    )
    complete = len(every) <= lines and all(len(line) <= LINE_CHARS for line in every)
    return ErrorText(head=head, full=None if complete else error)


def payload_ids(payload: dict[str, Any]) -> str:
    """The ids a payload names at its top level ("endpoint 3 · event 12"): enough to find what
    an item is about, and nothing a person typed."""
    ids = [
        f"{key.removesuffix('_id').replace('_', ' ')} {value}"
        for key, value in payload.items()
        if key.endswith("_id") and isinstance(value, int) and not isinstance(value, bool)
    ]
    return " · ".join(ids)


@dataclass(frozen=True)
class ItemRow:
    id: int
    topic: str
    kind: str
    refers_to: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    overdue: bool  # due for a while and never tried (else: failed and being retried)
    error: ErrorText | None


def item_row(item: OutboxItem, now: datetime) -> ItemRow:
    assert item.id is not None
    return ItemRow(
        id=item.id,
        topic=item.topic,
        kind=item.kind,
        refers_to=payload_ids(item.payload),
        attempts=item.attempts,
        created_at=item.created_at,
        next_attempt_at=item.next_attempt_at,
        overdue=item.attempts == 0 and item.next_attempt_at < now - OVERDUE_AFTER,
        error=error_text(item.last_error),
    )


def status_counts(counts: dict[str, int]) -> list[tuple[str, int]]:
    """Pending, done and dead always (zero when empty), then any other status there is."""
    known = (PENDING, DONE, DEAD)
    return [(s, counts.get(s, 0)) for s in known] + sorted(
        (s, n) for s, n in counts.items() if s not in known
    )


def retry_notice(
    _user: Manager,
    dashboard: DashboardDep,
    retried: Annotated[int | None, Query(ge=1, description="An item just retried")] = None,
    stale: Annotated[int | None, Query(ge=1, description="An item that was not dead")] = None,
) -> Notice | None:
    """What a manager is told after a retry, read from the item as it is now."""
    item_id = retried or stale
    if item_id is None:
        return None
    with dashboard.runtime.session() as session:
        item = outbox_item(session=session, item_id=item_id)
        session.commit()
    if item is None:
        return None
    name = f"Outbox item #{item.id} ({item.topic})"
    if stale is not None:
        return Notice(
            text=f"{name} was not dead any more (it is {item.status}); nothing was changed.",
            applied=False,
        )
    if item.status == PENDING:
        return Notice(text=f"{name} is pending again, with a fresh set of attempts.", applied=True)
    if item.status == DONE:
        return Notice(text=f"{name} was retried and has been delivered.", applied=True)
    return Notice(text=f"{name} was retried and gave up again; see its error.", applied=False)


RetryNotice = Annotated[Notice | None, Depends(retry_notice)]


def build_outbox_router() -> APIRouter:
    router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)

    @router.get("/outbox", name="dashboard_outbox", response_class=HTMLResponse)
    def outbox(
        request: Request, user: Manager, dashboard: DashboardDep, notice: RetryNotice
    ) -> Response:
        """Items by status, the pending ones being retried or overdue, and the dead ones."""
        now = datetime.now(UTC)
        with dashboard.runtime.session() as session:
            counts = outbox_summary(session=session)
            late = late_items(session=session, now=now, limit=SHOWN)
            late_total = late_count(session=session, now=now)
            dead = dead_items(session=session, limit=SHOWN)
            session.commit()
        return render_page(
            request,
            "outbox.html",
            user=user,
            active="outbox",
            counts=status_counts(counts),
            late=[item_row(item, now) for item in late],
            late_total=late_total,
            dead=[item_row(item, now) for item in dead],
            dead_total=counts.get(DEAD, 0),
            notice=notice,
        )

    @router.post("/outbox/{item_id}/retry", name="dashboard_outbox_retry")
    def retry(item_id: int, _user: Manager, dashboard: DashboardDep) -> Response:
        """Queue a dead item again with a fresh set of attempts (as `baton outbox retry`)."""
        with dashboard.runtime.session() as session:
            try:
                retry_dead(session=session, item_id=item_id)
                session.commit()
                flag = "retried"
            except InvalidInput:  # someone retried it first, or it was never dead
                session.rollback()
                flag = "stale"
        return RedirectResponse(f"{PAGE}?{flag}={item_id}", status_code=303)

    return router
