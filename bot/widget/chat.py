"""The widget's chat service: open (or resume) a visitor's chat, and apply one turn (to the bot,
or to the person in an open live chat)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from bot.runtime import Runtime
from bot.widget.restart_policy import restart_refusal
from bot.widget.transcript import history_item, offer_after
from dialogs.engine import Advanced
from dialogs.live import LiveState, live_state, post_prospect_message
from dialogs.prompt import Prompt
from dialogs.store import recent_messages
from qualification.errors import ConcurrentTurn, PermissionDenied
from qualification.stages import EventKind, GivenBy
from storage.db import read_session
from storage.events import record_event
from storage.leads import get_lead
from storage.live_chats import OPEN
from storage.models import Conversation, Lead, Message, Visitor, Widget
from storage.visitor_chats import hold_visitor, link_conversation
from storage.visitor_turns import chat_standing, hold_visitor_chat
from storage.visitors import fill_source, open_visitor

HISTORY_LIMIT = 200
LIVE_ATTEMPTS = 3  # a message in a live chat is stored even when an SDR's reply lands with it
UNKNOWN_VISITOR = "this visitor token is not known to this widget; open a new session"
ANOTHER_CHAT = "Another request started a conversation for this visitor first; open it again."


@dataclass(frozen=True)
class ChatView:
    """The visitor's token, the conversation so far and the current prompt; the live chat and
    the offer still standing."""

    token: str
    history: list[dict[str, Any]]
    prompt: Prompt
    can_restart: bool = False  # the chat ended and the visitor may start a new one
    live: LiveState | None = None
    offer: str | None = None


@dataclass(frozen=True)
class TurnResult:
    """The reply to a turn; `conflict` explains why the turn was not applied (another won).

    `replied` is False when the text went to the person in an open live chat: `prompt` is then
    the bot's last prompt, not a reply. `seq`/`reply_seq` place the messages in the transcript.
    """

    prompt: Prompt
    conflict: str | None = None
    can_restart: bool = False
    replied: bool = True
    live: LiveState | None = None
    seq: int | None = None
    reply_seq: int | None = None


def is_open(state: LiveState | None) -> bool:
    """A person is in the chat or about to be: the bot stays silent."""
    return state is not None and state.status in OPEN


def _history(session: Session, conversation_id: int) -> list[dict[str, Any]]:
    rows = recent_messages(session=session, conversation_id=conversation_id, limit=HISTORY_LIMIT)
    return [history_item(row) for row in rows]


def _record_visit(rt: Runtime, session: Session, visitor: Visitor, widget: Widget) -> None:
    """One `visit` behaviour event per visitor and page URL."""
    url = visitor.page_context.get("url")
    if not url:
        return
    now = datetime.now(UTC)
    lead = get_lead(session=session, lead_id=visitor.lead_id)
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]
    record_event(
        session=session,
        lead=lead,
        kind=EventKind.VISIT,
        occurred_at=now,
        rules=rt.rules,
        now=now,
        url=url,
        idempotency_key=f"widget-visit:{visitor.id}:{digest}",
        properties={
            "widget": widget.public_id,
            "referrer": visitor.page_context.get("referrer", ""),
        },
    )


def _relink(visitor: Visitor, *, replacing: int | None) -> Callable[[Session, Conversation], None]:
    """An `on_open` hook: the visitor moves to the new conversation in the engine's transaction
    (so no conversation is left without its visitor), if it is still on `replacing`."""

    def link(session: Session, conversation: Conversation) -> None:
        assert conversation.id is not None
        if not link_conversation(
            session=session,
            visitor=visitor,
            conversation_id=conversation.id,
            replacing=replacing,
        ):
            raise ConcurrentTurn(ANOTHER_CHAT)

    return link


def start_chat(
    *, rt: Runtime, session: Session, widget: Widget, visitor: Visitor, lead: Lead
) -> Prompt:
    """Start a conversation on the widget's flow and move the visitor to it; commits.

    The caller holds the visitor's row (`hold_visitor`), so the chat it replaces is current.
    """
    return rt.dialogs.start(
        session=session,
        lead=lead,
        channel="web",
        given_by=GivenBy.PROSPECT,
        flow_id=widget.flow_id,
        on_open=_relink(visitor, replacing=visitor.conversation_id),
    )


def can_restart(session: Session, conversation_id: int) -> bool:
    """Whether the visitor on this conversation may start a new chat now (it ended and the
    lead allows it); reads the latest rows."""
    status, stage = chat_standing(session=session, conversation_id=conversation_id)
    if status == "active":
        return False
    return restart_refusal(stage=stage, status=status) is None


def chat_view(*, rt: Runtime, session: Session, token: str, conversation_id: int) -> ChatView:
    """The conversation's history and current prompt; ends the read transaction."""
    history = _history(session, conversation_id)
    restartable = can_restart(session, conversation_id)
    state = live_state(session=session, conversation_id=conversation_id)
    session.commit()
    prompt = rt.dialogs.current(session=session, conversation_id=conversation_id)
    return ChatView(
        token=token,
        history=history,
        prompt=prompt,
        can_restart=prompt.done and restartable,
        live=state,
        offer=None if is_open(state) else offer_after(history),
    )


def open_chat(
    *, rt: Runtime, widget: Widget, token: str | None, page_context: dict[str, Any]
) -> ChatView:
    """Resume the chat of the visitor holding `token`, or start a new visitor's chat.

    Page context becomes the lead's source (where still empty) and a `visit` event. A new
    visitor, its lead, the visit and its first conversation are one transaction; what the
    frame is shown is read afterwards without the write lock.
    """
    started: Prompt | None = None
    with rt.session() as session:
        try:
            visitor, issued = open_visitor(
                session=session, widget=widget, token=token, page_context=page_context
            )
            if issued == token:
                hold_visitor(session=session, visitor=visitor)
            # else a new visitor, inserted by this transaction: nobody else sees it to change
            token = issued
            lead = get_lead(session=session, lead_id=visitor.lead_id)
            if fill_source(lead=lead, context=visitor.page_context):
                session.add(lead)
            _record_visit(rt, session, visitor, widget)
            if visitor.conversation_id is None:
                started = start_chat(
                    rt=rt, session=session, widget=widget, visitor=visitor, lead=lead
                )
            else:
                session.commit()
        except BaseException:
            session.rollback()
            raise
        conversation_id = visitor.conversation_id
    assert conversation_id is not None
    if started is None:
        with read_session(rt.engine) as reading:
            return chat_view(rt=rt, session=reading, token=token, conversation_id=conversation_id)
    # A conversation started just now: active (nothing to restart), no live chat, and its
    # history is the engine's greeting (its first message), so nothing needs reading.
    greeting = Message(
        conversation_id=conversation_id,
        seq=1,
        direction="out",
        author="bot",
        text=started.text,
        payload=started.to_json(),
    )
    history = [history_item(greeting)]
    return ChatView(
        token=token,
        history=history,
        prompt=Prompt.from_json({**started.to_json(), "notices": []}),
        offer=offer_after(history),
    )


def take_turn(
    *,
    rt: Runtime,
    widget: Widget,
    token: str,
    turn_id: str,
    text: str,
    expected_version: int | None,
) -> TurnResult:
    """Apply the visitor's message once (a repeated turn id returns the same result): to the
    person in an open live chat (stored, relayed, no bot reply), otherwise to the bot.

    An ordinary turn is one transaction: it finds the visitor's conversation and applies the
    answer. Only a turn that meets a live chat, or ends the chat, reads more (without the write
    lock). While a live chat is open the conversation is not `active`, so the bot leaves it."""
    key = f"web:{turn_id}"
    advanced = _advance(rt, widget, token, key, text, expected_version)
    if isinstance(advanced, TurnResult):
        return advanced
    conversation_id = advanced.prompt.conversation_id
    if advanced.heard or (advanced.status == "human" and advanced.reply_seq is None):
        # A person may be in the chat. A turn the bot answered (e.g. "talk to a human", which
        # opened the live chat) keeps its answer when it is sent again (`reply_seq`); one that
        # went to a person is stored once (`heard`).
        seq = _to_live_chat(rt, conversation_id, text, key)
        if seq is not None:
            with read_session(rt.engine) as reading:
                prompt = rt.dialogs.current(session=reading, conversation_id=conversation_id)
                live = live_state(session=reading, conversation_id=conversation_id)
                reading.commit()
            return TurnResult(prompt=prompt, replied=False, live=live, seq=seq)
        # No live chat is open (any more): the bot's turn, as if it came now.
        advanced = _advance(rt, widget, token, key, text, expected_version)
        if isinstance(advanced, TurnResult):
            return advanced
    prompt = advanced.prompt
    state: LiveState | None = None
    restartable = False
    chatted = advanced.live_chat_id is not None or advanced.status == "human"
    if chatted or prompt.done:
        with read_session(rt.engine) as reading:
            if chatted:
                state = live_state(session=reading, conversation_id=conversation_id)
            restartable = prompt.done and can_restart(reading, prompt.conversation_id)
            reading.commit()
    return TurnResult(
        prompt=prompt,
        can_restart=restartable,
        live=state,
        seq=advanced.said_seq,
        reply_seq=advanced.reply_seq,
    )


def _advance(
    rt: Runtime,
    widget: Widget,
    token: str,
    turn_id: str,
    text: str,
    expected_version: int | None,
) -> Advanced | TurnResult:
    """Find the visitor's conversation and give the text to the bot, in one transaction that
    holds the conversation from its first statement; a TurnResult when another reply won."""
    with rt.session() as session:
        try:
            held = hold_visitor_chat(session=session, widget=widget, token=token)
        except BaseException:
            session.rollback()
            raise
        if held is None:
            session.rollback()
            raise PermissionDenied(UNKNOWN_VISITOR)
        conversation_id = held[0].id
        assert conversation_id is not None
        try:
            return rt.dialogs.advance_turn(
                session=session,
                conversation_id=conversation_id,
                text=text,
                turn_id=turn_id,
                given_by=GivenBy.PROSPECT,
                expected_version=expected_version,
                held=held,
            )
        except ConcurrentTurn as exc:
            with read_session(rt.engine) as reading:
                current = rt.dialogs.current(session=reading, conversation_id=conversation_id)
            return TurnResult(prompt=current, conflict=str(exc))


def _to_live_chat(rt: Runtime, conversation_id: int, text: str, turn_id: str) -> int | None:
    """Store the text in the conversation's open live chat; its seq (None: no chat is open)."""
    with rt.session() as session:
        for attempt in range(LIVE_ATTEMPTS):
            try:
                message = post_prospect_message(
                    session=session,
                    conversation_id=conversation_id,
                    text=text,
                    turn_id=turn_id,
                    now=rt.dialogs.clock(),
                )
                return None if message is None else message.seq  # read while still attached
            except ConcurrentTurn:
                if attempt + 1 == LIVE_ATTEMPTS:
                    raise
    return None
