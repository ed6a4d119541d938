"""The widget's chat service: open (or resume) a visitor's chat, and apply one turn."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from bot.runtime import Runtime
from dialogs.prompt import Prompt
from dialogs.store import recent_messages
from qualification.errors import ConcurrentTurn, PermissionDenied
from qualification.stages import EventKind, GivenBy
from storage.events import record_event
from storage.leads import get_lead
from storage.models import Visitor, Widget
from storage.visitors import fill_source, open_visitor, visitor_for_token

HISTORY_LIMIT = 200
UNKNOWN_VISITOR = "this visitor token is not known to this widget; open a new session"


@dataclass(frozen=True)
class ChatView:
    """The visitor's token, the conversation so far and the current prompt."""

    token: str
    history: list[dict[str, Any]]
    prompt: Prompt


@dataclass(frozen=True)
class TurnResult:
    """The reply to a turn; `conflict` explains why the turn was not applied (another won)."""

    prompt: Prompt
    conflict: str | None = None


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


def open_chat(
    *, rt: Runtime, widget: Widget, token: str | None, page_context: dict[str, Any]
) -> ChatView:
    """Resume the chat of the visitor holding `token`, or start a new visitor's chat.

    Page context becomes the lead's source (where still empty) and a `visit` event.
    """
    with rt.session() as session:
        try:
            visitor, token = open_visitor(
                session=session, widget=widget, token=token, page_context=page_context
            )
            lead = get_lead(session=session, lead_id=visitor.lead_id)
            if fill_source(lead=lead, context=visitor.page_context):
                session.add(lead)
            _record_visit(rt, session, visitor, widget)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        if visitor.conversation_id is None:
            prompt = rt.dialogs.start(
                session=session,
                lead=lead,
                channel="web",
                given_by=GivenBy.PROSPECT,
                flow_id=widget.flow_id,
            )
            visitor.conversation_id = prompt.conversation_id
            session.add(visitor)
            session.commit()
        history = _history(session, visitor.conversation_id)
        session.commit()
        prompt = rt.dialogs.current(session=session, conversation_id=visitor.conversation_id)
    return ChatView(token=token, history=history, prompt=prompt)


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
    return TurnResult(prompt=prompt)
