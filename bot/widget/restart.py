"""Starting again: a visitor whose chat ended opens a new conversation on the widget's flow."""

from __future__ import annotations

from dataclasses import dataclass

from bot.runtime import Runtime
from bot.widget.chat import UNKNOWN_VISITOR, ChatView, chat_view, start_chat
from bot.widget.restart_policy import restart_refusal
from dialogs.store import load_conversation
from qualification.errors import PermissionDenied
from storage.leads import get_lead, lock_lead
from storage.models import Widget
from storage.visitor_chats import hold_visitor
from storage.visitors import visitor_for_token


@dataclass(frozen=True)
class RestartResult:
    """`view` of the visitor's chat now; `restarted` when a new conversation began.

    `refused` is the message for a visitor who may not start again (`view` then shows the
    ended chat).
    """

    view: ChatView
    restarted: bool
    refused: str | None = None


def restart_chat(*, rt: Runtime, widget: Widget, token: str) -> RestartResult:
    """Start a new conversation for the visitor holding `token`, on the same lead.

    Only a chat that has ended is replaced; while the visitor's chat is still active this is
    a no-op returning that chat, so a double click, or two tabs, give one new conversation:
    the visitor's row is held for the whole transaction and the visitor moves to the new
    conversation only if it is still on the old one. The engine skips what is already known
    about the lead and asks the rest. `restart_refusal` says which leads may start again.
    PermissionDenied for a token this widget does not know (nothing is created).
    """
    with rt.session() as session:
        try:
            visitor = visitor_for_token(session=session, widget=widget, token=token)
            if visitor is None:
                raise PermissionDenied(UNKNOWN_VISITOR)
            hold_visitor(session=session, visitor=visitor)
            lead = get_lead(session=session, lead_id=visitor.lead_id)
            lock_lead(session=session, lead=lead)
            current = (
                None
                if visitor.conversation_id is None
                else load_conversation(session=session, conversation_id=visitor.conversation_id)
            )
            refused: str | None = None
            if current is not None and current.status == "active":
                restarted = False
            else:
                if current is not None:
                    refused = restart_refusal(stage=lead.stage, status=current.status)
                restarted = refused is None
            if restarted:
                start_chat(rt=rt, session=session, widget=widget, visitor=visitor, lead=lead)
            else:
                session.commit()
        except BaseException:
            session.rollback()
            raise
        assert visitor.conversation_id is not None
        view = chat_view(
            rt=rt, session=session, token=token, conversation_id=visitor.conversation_id
        )
    return RestartResult(view=view, restarted=restarted, refused=refused)
