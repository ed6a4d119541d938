"""The widget's chat service: open (or resume) a visitor's chat, and apply one turn."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from bot.runtime import Runtime
from bot.widget.restart_policy import restart_refusal
from dialogs.prompt import Prompt
from dialogs.store import load_conversation, recent_messages
from qualification.errors import ConcurrentTurn, PermissionDenied
from qualification.stages import EventKind, GivenBy
from storage.events import record_event
from storage.leads import get_lead
from storage.models import Conversation, Lead, Visitor, Widget
from storage.visitor_chats import hold_visitor, link_conversation
from storage.visitors import fill_source, open_visitor, visitor_for_token

HISTORY_LIMIT = 200
UNKNOWN_VISITOR = "this visitor token is not known to this widget; open a new session"
ANOTHER_CHAT = "Another request started a conversation for this visitor first; open it again."


@dataclass(frozen=True)
class ChatView:
    """The visitor's token, the conversation so far and the current prompt."""

    token: str
    history: list[dict[str, Any]]
    prompt: Prompt
    can_restart: bool = False  # the chat ended and the visitor may start a new one


@dataclass(frozen=True)
class TurnResult:
    """The reply to a turn; `conflict` explains why the turn was not applied (another won)."""

    prompt: Prompt
    conflict: str | None = None
    can_restart: bool = False


def _history(session: Session, conversation_id: int) -> list[dict[str, Any]]:
    rows = recent_messages(session=session, conversation_id=conversation_id, limit=HISTORY_LIMIT)
    items: list[dict[str, Any]] = []
    for row in rows:
        payload = row.payload or {}
        items.append(
            {
                "direction": row.direction,
                "text": row.text,
                "expects": payload.get("expects"),
                "notices": list(payload.get("notices", [])),
            }
        )
    return items


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
) -> None:
    """Start a conversation on the widget's flow and move the visitor to it; commits.

    The caller holds the visitor's row (`hold_visitor`), so the chat it replaces is current.
    """
    rt.dialogs.start(
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
    conversation = load_conversation(session=session, conversation_id=conversation_id)
    if conversation.status == "active":
        return False
    lead = get_lead(session=session, lead_id=conversation.lead_id)
    session.refresh(lead)
    return restart_refusal(stage=lead.stage, status=conversation.status) is None


def chat_view(*, rt: Runtime, session: Session, token: str, conversation_id: int) -> ChatView:
    """The conversation's history and current prompt; ends the read transaction."""
    history = _history(session, conversation_id)
    restartable = can_restart(session, conversation_id)
    session.commit()
    prompt = rt.dialogs.current(session=session, conversation_id=conversation_id)
    return ChatView(
        token=token, history=history, prompt=prompt, can_restart=prompt.done and restartable
    )


def open_chat(
    *, rt: Runtime, widget: Widget, token: str | None, page_context: dict[str, Any]
) -> ChatView:
    """Resume the chat of the visitor holding `token`, or start a new visitor's chat.

    Page context becomes the lead's source (where still empty) and a `visit` event. A new
    visitor, its lead, the visit and its first conversation are one transaction.
    """
    with rt.session() as session:
        try:
            visitor, token = open_visitor(
                session=session, widget=widget, token=token, page_context=page_context
            )
            hold_visitor(session=session, visitor=visitor)
            lead = get_lead(session=session, lead_id=visitor.lead_id)
            if fill_source(lead=lead, context=visitor.page_context):
                session.add(lead)
            _record_visit(rt, session, visitor, widget)
            if visitor.conversation_id is None:
                start_chat(rt=rt, session=session, widget=widget, visitor=visitor, lead=lead)
            else:
                session.commit()
        except BaseException:
            session.rollback()
            raise
        assert visitor.conversation_id is not None
        return chat_view(
            rt=rt, session=session, token=token, conversation_id=visitor.conversation_id
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
    """Apply the visitor's answer once (a repeated turn id returns the same reply)."""
    with rt.session() as session:
        visitor = visitor_for_token(session=session, widget=widget, token=token)
        session.commit()  # end the read; keeps `visitor` loaded
        if visitor is None or visitor.conversation_id is None:
            raise PermissionDenied(UNKNOWN_VISITOR)
        try:
            prompt = rt.dialogs.advance(
                session=session,
                conversation_id=visitor.conversation_id,
                text=text,
                turn_id=f"web:{turn_id}",
                given_by=GivenBy.PROSPECT,
                expected_version=expected_version,
            )
        except ConcurrentTurn as exc:
            current = rt.dialogs.current(session=session, conversation_id=visitor.conversation_id)
            return TurnResult(prompt=current, conflict=str(exc))
        if not prompt.done:
            return TurnResult(prompt=prompt)
        restartable = can_restart(session, prompt.conversation_id)
        session.commit()
    return TurnResult(prompt=prompt, can_restart=restartable)
