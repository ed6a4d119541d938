"""What a widget turn reads besides the engine's rows, one query each: the conversation of the
visitor holding a token (held for the turn), and whether a chat may be restarted."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from qualification.errors import NotFound
from qualification.stages import Stage
from storage.models import Conversation, Lead, Visitor, Widget
from storage.visitors import hash_token

_MAX_TOKEN = 200  # as storage.visitors: a longer token is never one we issued

# Built once: building a statement costs more than running it.
_VISITOR_CHAT = (
    select(Visitor.widget_id, Conversation, Lead)
    .join(Conversation, col(Conversation.id) == col(Visitor.conversation_id))
    .join(Lead, col(Lead.id) == col(Conversation.lead_id))
    .where(col(Visitor.token_hash) == bindparam("token_hash"))
    .execution_options(populate_existing=True)
)
_VISITOR_CHAT_HELD = _VISITOR_CHAT.with_for_update(of=[Conversation, Lead])
_STANDING = (
    select(Conversation.status, Lead.stage)
    .join(Lead, col(Lead.id) == col(Conversation.lead_id))
    .where(col(Conversation.id) == bindparam("conversation_id"))
)


def hold_visitor_chat(
    *, session: Session, widget: Widget, token: str | None
) -> tuple[Conversation, Lead] | None:
    """The conversation of this widget's visitor holding `token`, and its lead, read afresh and
    held until the transaction ends (FOR UPDATE on PostgreSQL; a SQLite transaction holds the
    write lock already), as the dialog engine holds them for a turn. None for no token, a
    made-up token, another widget's token or a visitor without a conversation."""
    if not token or len(token) > _MAX_TOKEN:
        return None
    query = _VISITOR_CHAT_HELD if session.get_bind().dialect.name == "postgresql" else _VISITOR_CHAT
    found = session.exec(query, params={"token_hash": hash_token(token)}).first()
    if found is None:
        return None
    widget_id, conversation, lead = found
    if widget_id != widget.id:
        return None
    return conversation, lead


def chat_standing(*, session: Session, conversation_id: int) -> tuple[str, Stage]:
    """The conversation's status and its lead's stage, as stored now."""
    found = session.exec(_STANDING, params={"conversation_id": conversation_id}).first()
    if found is None:
        raise NotFound(f"no conversation with id {conversation_id}")
    status, stage = found
    return status, Stage(stage)
