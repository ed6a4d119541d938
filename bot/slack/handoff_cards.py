"""Approval cards delivered from the outbox: posted, updated on a decision, re-posted as reminders.

Every handler renders the request as the database holds it at delivery time, so a card posted
late already shows its decision. Each posted card is recorded in `slack_posts`; a decision
updates all of them (the first card and its reminders).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack.blocks import decision_dm
from bot.slack.home_updates import refresh_quietly
from bot.slack.notify import dm, post_card, update_card
from bot.slack.runner import in_transaction
from qualification.errors import NotFound
from storage import handoff_reminders
from storage.handoff_view import HandoffView, handoff_view
from storage.models import OutboxItem
from storage.slack_posts import HANDOFF, count_posts, posts_for, record_post

if TYPE_CHECKING:
    from bot.outbox import OutboxDispatcher

log = logging.getLogger(__name__)

REQUESTED = "handoff.requested"
DECIDED = "handoff.decided"
REMINDER = handoff_reminders.TOPIC
REMINDER_CHECK_SECONDS = 60.0
# Errors after which a card cannot be updated any more (deleted, archived): retrying won't help.
_GONE = frozenset({"message_not_found", "channel_not_found", "is_archived", "cant_update_message"})


def register(dispatcher: OutboxDispatcher, runtime: Runtime, client: AsyncWebClient) -> None:
    """Subscribe this module's handlers to the outbox, and queue reminders when configured."""
    cards = HandoffCards(client)
    dispatcher.register(REQUESTED, cards.requested)
    dispatcher.register(DECIDED, cards.decided)
    dispatcher.register(REMINDER, cards.reminder)
    if runtime.settings.slack_reminder_after_minutes > 0:
        dispatcher.every(REMINDER_CHECK_SECONDS, queue_reminders)


async def queue_reminders(runtime: Runtime, now: datetime) -> None:
    """Periodic job: queue a reminder for each request that has waited another interval."""
    minutes = runtime.settings.slack_reminder_after_minutes
    if minutes <= 0 or not runtime.settings.slack_approval_channel:
        return
    every = timedelta(minutes=minutes)
    await in_transaction(
        runtime,
        lambda session: handoff_reminders.queue_reminders(session=session, now=now, every=every),
    )


def waited_for(waited: timedelta) -> str:
    """A wait as people say it: '45 min', '4 h 10 min', '2 d 3 h'."""
    minutes = max(int(waited.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def reminder_line(waited: timedelta) -> str:
    return f":alarm_clock: *Reminder:* this request has waited {waited_for(waited)} for a decision."


def _view(session: Session, request_id: int) -> HandoffView | None:
    try:
        return handoff_view(session=session, request_id=request_id)
    except NotFound:  # the request or its lead is gone: there is nothing to show
        return None


@dataclass(frozen=True)
class _Reminder:
    view: HandoffView
    since: datetime


@dataclass(frozen=True)
class HandoffCards:
    """The outbox handlers of approval cards, sharing one Slack client."""

    client: AsyncWebClient

    async def requested(self, runtime: Runtime, item: OutboxItem) -> None:
        """Post the card to the approval channel, unless a card for the request exists."""
        channel = runtime.settings.slack_approval_channel
        if not channel:
            return
        request_id = int(item.payload["request_id"])

        def load(session: Session) -> HandoffView | None:
            if posts_for(session=session, subject=HANDOFF, subject_id=request_id):
                return None  # delivered before (or a reminder got there first)
            return _view(session, request_id)

        view = await in_transaction(runtime, load)
        if view is not None:
            await self._post(runtime, view, channel=channel)
        await refresh_quietly(
            self.client, runtime, lead_id=int(item.payload["lead_id"]), approvals=True
        )

    async def decided(self, runtime: Runtime, item: OutboxItem) -> None:
        """Show the decision on every card of the request, then tell the SDR who asked."""
        request_id = int(item.payload["request_id"])

        def load(session: Session) -> tuple[HandoffView | None, list[tuple[str, str]]]:
            posts = posts_for(session=session, subject=HANDOFF, subject_id=request_id)
            return _view(session, request_id), [(post.channel, post.ts) for post in posts]

        view, posts = await in_transaction(runtime, load)
        if view is None:
            return
        for channel, ts in posts:
            await self._update(runtime, view, channel=channel, ts=ts)
        if view.requester_slack_id and item.payload.get("notify_requester", True):
            await dm(self.client, view.requester_slack_id, decision_dm(view))
        if view.stage == "sal":  # a rejection that kept the lead: no stage change refreshed them
            await refresh_quietly(self.client, runtime, lead_id=view.lead_id, approvals=True)

    async def reminder(self, runtime: Runtime, item: OutboxItem) -> None:
        """Re-post a still pending request with how long it has waited."""
        channel = runtime.settings.slack_approval_channel
        if not channel:
            return
        request_id = int(item.payload["request_id"])
        posts_before = int(item.payload.get("posts_before", 0))

        def load(session: Session) -> _Reminder | None:
            since = handoff_reminders.waiting_since(session=session, request_id=request_id)
            if since is None:  # decided meanwhile
                return None
            if count_posts(session=session, subject=HANDOFF, subject_id=request_id) > posts_before:
                return None  # posted already (this reminder before a retry, or a later one)
            view = _view(session, request_id)
            return _Reminder(view=view, since=since) if view is not None else None

        due = await in_transaction(runtime, load)
        if due is None:
            return
        # The wait when queued, or longer if delivery came late (e.g. Slack was down).
        waited = max(
            timedelta(minutes=int(item.payload.get("waited_minutes", 0))),
            datetime.now(UTC) - due.since,
        )
        await self._post(runtime, due.view, channel=channel, reminder=reminder_line(waited))

    async def _post(
        self, runtime: Runtime, view: HandoffView, *, channel: str, reminder: str | None = None
    ) -> None:
        dashboard_url = runtime.settings.public_url
        posted_channel, ts = await post_card(
            self.client, view, channel=channel, dashboard_url=dashboard_url, reminder=reminder
        )

        def record(session: Session) -> HandoffView | None:
            record_post(
                session=session,
                subject=HANDOFF,
                subject_id=view.request_id,
                channel=posted_channel,
                ts=ts,
            )
            return _view(session, view.request_id)

        now = await in_transaction(runtime, record)
        # Decided while we were posting: the decision's handler may have looked for cards before
        # this one was recorded, so bring it up to date here.
        if now is not None and now.status != view.status:
            await self._update(runtime, now, channel=posted_channel, ts=ts)

    async def _update(self, runtime: Runtime, view: HandoffView, *, channel: str, ts: str) -> None:
        try:
            await update_card(
                self.client,
                view,
                channel=channel,
                ts=ts,
                dashboard_url=runtime.settings.public_url,
            )
        except SlackApiError as error:
            reason = error.response.get("error")
            if reason not in _GONE:
                raise
            log.warning("approval card %s/%s can no longer be updated: %s", channel, ts, reason)
