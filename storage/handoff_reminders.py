"""Reminders about handoff requests that have waited too long for a manager.

A request that has waited `n` whole intervals gets reminder number `n`; its outbox dedupe key
makes each number queued once, however many processes look and however often.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from qualification.stages import HandoffStatus
from storage.models import HandoffRequest, OutboxItem
from storage.outbox import enqueue
from storage.slack_posts import HANDOFF, count_posts

TOPIC = "handoff.reminder"
KIND = "slack_post"


@dataclass(frozen=True)
class DueReminder:
    request_id: int
    lead_id: int
    number: int  # whole intervals waited (1 for the first reminder)
    waited: timedelta


def due_reminders(*, session: Session, now: datetime, every: timedelta) -> list[DueReminder]:
    """Pending requests that have waited at least one interval at `now`, oldest first."""
    if every <= timedelta(0):
        raise ValueError("the reminder interval must be positive")
    query = (
        select(HandoffRequest)
        .where(
            HandoffRequest.status == HandoffStatus.PENDING,
            col(HandoffRequest.created_at) <= now - every,
        )
        .order_by(col(HandoffRequest.id))
    )
    due = []
    for request in session.exec(query).all():
        waited = now - request.created_at
        due.append(
            DueReminder(
                request_id=request.id or 0,
                lead_id=request.lead_id,
                number=waited // every,
                waited=waited,
            )
        )
    return due


def queue_reminders(*, session: Session, now: datetime, every: timedelta) -> list[OutboxItem]:
    """Queue the reminder each due request has reached (at most one per request and interval).

    The payload says how many cards were posted at queue time: a reminder that finds more
    (a later reminder or the first card got there first) is not posted again.
    """
    items = []
    for due in due_reminders(session=session, now=now, every=every):
        posts = count_posts(session=session, subject=HANDOFF, subject_id=due.request_id)
        items.append(
            enqueue(
                session=session,
                kind=KIND,
                topic=TOPIC,
                payload={
                    "request_id": due.request_id,
                    "lead_id": due.lead_id,
                    "number": due.number,
                    "waited_minutes": int(due.waited.total_seconds() // 60),
                    "posts_before": posts,
                },
                dedupe_key=f"{TOPIC}:{due.request_id}:{due.number}",
            )
        )
    return items


def waiting_since(*, session: Session, request_id: int) -> datetime | None:
    """When the request was made, while it is still pending; None once decided (or unknown)."""
    request = session.get(HandoffRequest, request_id)
    if request is None:
        return None
    session.refresh(request)
    return request.created_at if request.status is HandoffStatus.PENDING else None
