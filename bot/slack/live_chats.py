"""Live chats in the SDR channel, delivered from the outbox after the change that caused them.

`live.requested` posts the request card (its thread is the chat); `live.taken` shows who took
it and gives them their controls in the thread; `live.ended` shows how it ended (ended, handed
back, missed); `followup.requested` tells the SDRs who wants an email or a meeting. Every
handler renders from the database at delivery time, and every message is recorded in
`slack_posts`, so a redelivery posts nothing twice and a change updates every copy. A change
delivered before its card waits for the card (`Deferred`). The prospect's messages are relayed
by bot.slack.live_relay; a periodic job closes the chats nobody took in time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.outbox import Deferred
from bot.runtime import Runtime
from bot.slack import live_relay
from bot.slack.blocks import Block, section
from bot.slack.live_blocks import (
    card_blocks,
    card_text,
    closing_note,
    controls_blocks,
    controls_text,
    follow_up_text,
)
from bot.slack.live_view import (
    CARD,
    CLOSING,
    CONTROLS,
    FOLLOW_UP,
    FollowUpView,
    LiveChatView,
    Thread,
    follow_up_view,
    live_chat_view,
    posted,
    thread_expected_at,
)
from bot.slack.runner import in_transaction
from dialogs import live
from qualification.errors import NotFound
from storage import live_chats as rows
from storage.models import OutboxItem
from storage.slack_posts import posts_for, record_post

if TYPE_CHECKING:
    from bot.outbox import OutboxDispatcher

log = logging.getLogger(__name__)

EXPIRE_EVERY_SECONDS = 10.0
# Errors after which a message cannot be updated any more (deleted, archived): retrying won't help.
_GONE = frozenset({"message_not_found", "channel_not_found", "is_archived", "cant_update_message"})


def register(dispatcher: OutboxDispatcher, runtime: Runtime, client: AsyncWebClient) -> None:
    """Subscribe this module's handlers to the outbox, and the job that closes missed chats."""
    del runtime  # settings are read at delivery time
    cards = LiveChatCards(client)
    dispatcher.register(rows.REQUESTED, cards.requested)
    dispatcher.register(rows.TAKEN, cards.taken)
    dispatcher.register(rows.CLOSED, cards.ended)
    dispatcher.register(rows.FOLLOWUP, cards.follow_up)
    dispatcher.register(rows.RELAY, live_relay.Relay(client).relay)
    dispatcher.every(EXPIRE_EVERY_SECONDS, expire_unanswered)


async def expire_unanswered(runtime: Runtime, now: datetime) -> None:
    """Periodic job: tell the prospects nobody took in time, and give them back to the bot."""
    await in_transaction(
        runtime,
        lambda session: live.expire_unanswered(session=session, engine=runtime.dialogs, now=now),
    )


@dataclass(frozen=True)
class _Chat:
    """A chat as a handler found it, with the messages already posted about it."""

    view: LiveChatView
    cards: tuple[Thread, ...]
    controls: tuple[Thread, ...]
    closings: tuple[Thread, ...]


def _load(session: Session, live_chat_id: int) -> _Chat | None:
    try:
        view = live_chat_view(session=session, live_chat_id=live_chat_id)
    except NotFound:  # erased with its lead: there is nothing to show
        return None
    return _Chat(
        view=view,
        cards=posted(session, CARD, live_chat_id),
        controls=posted(session, CONTROLS, live_chat_id),
        closings=posted(session, CLOSING, live_chat_id),
    )


def thread_or_wait(session: Session, chat: _Chat, now: datetime) -> Thread | None:
    """The chat's thread; Deferred while its card is on its way, None if it never will be."""
    if chat.view.thread is not None:
        return chat.view.thread
    until = thread_expected_at(session=session, live_chat_id=chat.view.live_chat_id, now=now)
    if until is None:
        log.warning("live chat %s has no Slack thread to update", chat.view.live_chat_id)
        return None
    raise Deferred(until=until, reason=f"live chat {chat.view.live_chat_id}: card not posted yet")


@dataclass(frozen=True)
class LiveChatCards:
    """The outbox handlers of live chat cards, sharing one Slack client."""

    client: AsyncWebClient

    async def requested(self, runtime: Runtime, item: OutboxItem) -> None:
        """Post the card in the SDR channel (as the chat is now) and remember its thread."""
        channel = runtime.settings.slack_sdr_channel
        live_chat_id = int(item.payload["live_chat_id"])
        chat = await in_transaction(runtime, lambda session: _load(session, live_chat_id))
        if chat is None or chat.view.thread is not None:
            return  # gone, or posted by an earlier delivery
        if not channel:
            log.warning("live chat %s: no SDR channel to post it in", live_chat_id)
            return
        response = await self.client.chat_postMessage(
            channel=channel,
            text=card_text(chat.view),
            blocks=card_blocks(chat.view, dashboard_url=runtime.settings.public_url),
            unfurl_links=False,
            unfurl_media=False,
        )
        posted_in, ts = str(response["channel"]), str(response["ts"])

        def record(session: Session) -> None:
            rows.record_thread(session=session, live_chat_id=live_chat_id, channel=posted_in, ts=ts)
            record_post(
                session=session, subject=CARD, subject_id=live_chat_id, channel=posted_in, ts=ts
            )

        await in_transaction(runtime, record)

    async def taken(self, runtime: Runtime, item: OutboxItem) -> None:
        """Show who took the chat on its card, and give them their controls in the thread."""
        chat, thread = await self._find(runtime, int(item.payload["live_chat_id"]))
        if chat is None or thread is None:
            return
        await self._show_cards(runtime, chat)
        if chat.view.status == rows.LIVE and not chat.controls:
            await self._post_controls(runtime, chat.view, thread)

    async def ended(self, runtime: Runtime, item: OutboxItem) -> None:
        """Show how the chat ended on its card and controls, and say so in the thread once."""
        chat, thread = await self._find(runtime, int(item.payload["live_chat_id"]))
        if chat is None or thread is None:
            return
        await self._show_cards(runtime, chat)
        for message in chat.controls:
            await self._update(message, controls_text(chat.view), controls_blocks(chat.view))
        if not chat.closings:
            note = closing_note(chat.view)
            await self._post(
                runtime, thread, note, [section(note)], CLOSING, chat.view.live_chat_id
            )

    async def follow_up(self, runtime: Runtime, item: OutboxItem) -> None:
        """Tell the SDRs who asked for an email or a meeting: in the chat's thread when the wish
        came from a live chat, else in the SDR channel."""
        follow_up_id = int(item.payload["follow_up_id"])

        def load(session: Session) -> tuple[FollowUpView | None, bool]:
            done = bool(posts_for(session=session, subject=FOLLOW_UP, subject_id=follow_up_id))
            return follow_up_view(session=session, follow_up_id=follow_up_id), done

        view, done = await in_transaction(runtime, load)
        if view is None or done:
            return
        channel = view.thread.channel if view.thread else runtime.settings.slack_sdr_channel
        if not channel:
            return
        text = follow_up_text(view)
        response = await self.client.chat_postMessage(
            channel=channel,
            thread_ts=view.thread.ts if view.thread else None,
            text=text,
            blocks=[section(text)],
            unfurl_links=False,
        )
        posted_in, ts = str(response["channel"]), str(response["ts"])
        await in_transaction(
            runtime,
            lambda session: record_post(
                session=session,
                subject=FOLLOW_UP,
                subject_id=follow_up_id,
                channel=posted_in,
                ts=ts,
            ),
        )

    # --- helpers -----------------------------------------------------------------------

    async def _find(
        self, runtime: Runtime, live_chat_id: int
    ) -> tuple[_Chat | None, Thread | None]:
        now = datetime.now(UTC)

        def load(session: Session) -> tuple[_Chat | None, Thread | None]:
            chat = _load(session, live_chat_id)
            return (chat, thread_or_wait(session, chat, now)) if chat else (None, None)

        return await in_transaction(runtime, load)

    async def _show_cards(self, runtime: Runtime, chat: _Chat) -> None:
        text = card_text(chat.view)
        blocks = card_blocks(chat.view, dashboard_url=runtime.settings.public_url)
        for card in chat.cards:
            await self._update(card, text, blocks)

    async def _post_controls(self, runtime: Runtime, view: LiveChatView, thread: Thread) -> None:
        await self._post(
            runtime, thread, controls_text(view), controls_blocks(view), CONTROLS, view.live_chat_id
        )
        # Ended while we were posting: the end's handler may have looked for the controls
        # before they were recorded, so bring them up to date here.
        now = await in_transaction(runtime, lambda session: _load(session, view.live_chat_id))
        if now is not None and now.view.status != rows.LIVE:
            for message in now.controls:
                await self._update(message, controls_text(now.view), controls_blocks(now.view))

    async def _post(
        self,
        runtime: Runtime,
        thread: Thread,
        text: str,
        blocks: list[Block],
        subject: str,
        live_chat_id: int,
    ) -> None:
        response = await self.client.chat_postMessage(
            channel=thread.channel, thread_ts=thread.ts, text=text, blocks=blocks
        )
        posted_in, ts = str(response["channel"]), str(response["ts"])
        await in_transaction(
            runtime,
            lambda session: record_post(
                session=session, subject=subject, subject_id=live_chat_id, channel=posted_in, ts=ts
            ),
        )

    async def _update(self, message: Thread, text: str, blocks: list[Block]) -> None:
        try:
            await self.client.chat_update(
                channel=message.channel, ts=message.ts, text=text, blocks=blocks
            )
        except SlackApiError as error:
            reason = error.response.get("error")
            if reason not in _GONE:
                raise
            log.warning(
                "live chat message %s/%s can no longer be updated: %s",
                message.channel,
                message.ts,
                reason,
            )
