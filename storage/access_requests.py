"""People asking to use Baton from Slack: the managers' card and the newcomer's welcome are
Slack posts that must not be lost, so they go through the outbox."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from storage.models import OutboxItem, User
from storage.outbox import enqueue

SLACK = "slack"
ACCESS_REQUESTED = "access.requested"
ACCESS_GRANTED = "access.granted"


def queue_access_request(*, session: Session, slack_user_id: str, today: date) -> bool:
    """Ask the managers to let this Slack account in, at most once a day; True if asked now."""
    key = f"{ACCESS_REQUESTED}:{slack_user_id}:{today.isoformat()}"
    if session.exec(select(OutboxItem.id).where(OutboxItem.dedupe_key == key)).first():
        return False
    enqueue(
        session=session,
        kind=SLACK,
        topic=ACCESS_REQUESTED,
        payload={"slack_user_id": slack_user_id},
        dedupe_key=key,
    )
    return True


def queue_access_granted(
    *, session: Session, user: User, added_by: User, channel: str | None, ts: str | None
) -> None:
    """Tell the newcomer (and update the request card at `channel`/`ts`), once per user."""
    enqueue(
        session=session,
        kind=SLACK,
        topic=ACCESS_GRANTED,
        payload={
            "user_id": user.id,
            "added_by_user_id": added_by.id,
            "channel": channel,
            "ts": ts,
        },
        dedupe_key=f"{ACCESS_GRANTED}:{user.id}",
    )
