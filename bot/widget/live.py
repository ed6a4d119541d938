"""The widget's side of a live chat: take the "talk to someone now" offer, ask for a follow-up,
and read what was said since a seq (the catch-up of a stream, and the polling fallback).

Everything is read from the database, so it does not matter which process wrote a message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import Session

from bot.runtime import Runtime
from bot.widget.chat import UNKNOWN_VISITOR, can_restart
from bot.widget.transcript import history_item
from dialogs import live
from dialogs.live import ChatNotOpen, LiveState
from dialogs.prompt import Prompt
from qualification.errors import ConcurrentTurn, InvalidInput, PermissionDenied
from storage.live_chats import messages_after
from storage.models import Widget
from storage.visitors import visitor_for_token

BATCH = 200  # messages per read
ATTEMPTS = 3  # a change that met another change to the conversation is tried again

T = TypeVar("T")


@dataclass(frozen=True)
class LiveView:
    """What the frame shows beside the messages: the live chat, the bot's prompt, and whether
    the visitor may start a new chat."""

    live: LiveState | None
    prompt: Prompt
    can_restart: bool

    def key(self) -> tuple[Any, ...]:
        """Equal keys look the same to the visitor (a stream sends a change only)."""
        prompt = self.prompt
        return (
            self.live,
            prompt.conversation_id,
            prompt.version,
            prompt.step_id,
            prompt.done,
            self.can_restart,
        )


@dataclass(frozen=True)
class Batch:
    """Messages after a seq, in order, and the view after them; `more` when the read was full."""

    items: list[dict[str, Any]]
    view: LiveView
    more: bool


@dataclass(frozen=True)
class ActionResult:
    """The view after an action, or why it was refused (a message for the visitor)."""

    view: LiveView
    refused: str | None = None


def conversation_of(*, rt: Runtime, widget: Widget, token: str) -> int:
    """The conversation of the visitor holding `token` (PermissionDenied when unknown)."""
    with rt.session() as session:
        visitor = visitor_for_token(session=session, widget=widget, token=token)
        session.commit()  # ends the read, keeps `visitor` loaded
    if visitor is None or visitor.conversation_id is None:
        raise PermissionDenied(UNKNOWN_VISITOR)
    return visitor.conversation_id


def live_view(*, rt: Runtime, session: Session, conversation_id: int) -> LiveView:
    """The live chat, prompt and restart flag as the database has them now; ends the read."""
    state = live.live_state(session=session, conversation_id=conversation_id)
    restartable = can_restart(session, conversation_id)
    session.rollback()
    prompt = rt.dialogs.current(session=session, conversation_id=conversation_id)
    return LiveView(live=state, prompt=prompt, can_restart=prompt.done and restartable)


def read_since(*, rt: Runtime, conversation_id: int, after: int) -> Batch:
    """The conversation's messages after seq `after` (at most BATCH, oldest first) and the view."""
    with rt.session() as session:
        rows = messages_after(
            session=session, conversation_id=conversation_id, after_seq=after, limit=BATCH
        )
        items = [history_item(row) for row in rows]
        view = live_view(rt=rt, session=session, conversation_id=conversation_id)
    return Batch(items=items, view=view, more=len(items) == BATCH)


def _retrying(change: Callable[[], T]) -> T:
    for attempt in range(ATTEMPTS):
        try:
            return change()
        except ConcurrentTurn:
            if attempt + 1 == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def request_live(*, rt: Runtime, widget: Widget, token: str) -> ActionResult:
    """Take the offer to talk to someone now: a waiting live chat (the one already open after a
    double click). Refused, with the offline note, when nobody can take it now."""
    conversation_id = conversation_of(rt=rt, widget=widget, token=token)
    with rt.session() as session:
        refused: str | None = None
        try:
            _retrying(
                lambda: live.request_live_chat(
                    session=session,
                    engine=rt.dialogs,
                    conversation_id=conversation_id,
                    now=rt.dialogs.clock(),
                )
            )
        except ChatNotOpen as exc:
            refused = str(exc)
        view = live_view(rt=rt, session=session, conversation_id=conversation_id)
    return ActionResult(view=view, refused=refused)


def request_follow_up(
    *, rt: Runtime, widget: Widget, token: str, kind: str, email: str | None
) -> ActionResult:
    """Record that the visitor wants an email or a meeting. Refused (a message saying why)
    when an email address is needed and none, or no valid one, was given."""
    conversation_id = conversation_of(rt=rt, widget=widget, token=token)
    with rt.session() as session:
        refused: str | None = None
        try:
            _retrying(
                lambda: live.request_follow_up(
                    session=session,
                    conversation_id=conversation_id,
                    kind=kind,
                    email=email.strip() if email else None,
                    now=rt.dialogs.clock(),
                )
            )
        except InvalidInput as exc:
            refused = str(exc)
        view = live_view(rt=rt, session=session, conversation_id=conversation_id)
    return ActionResult(view=view, refused=refused)
