"""Which conversation a widget visitor is on, changed safely when two requests race."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from storage.models import Visitor


def hold_visitor(*, session: Session, visitor: Visitor) -> Visitor:
    """Reload `visitor` and hold its row until the transaction ends (FOR UPDATE on PostgreSQL;
    SQLite transactions already take the write lock), so a decision sees its latest chat."""
    session.add(visitor)
    session.flush()
    session.refresh(visitor, with_for_update=True)
    return visitor


def link_conversation(
    *, session: Session, visitor: Visitor, conversation_id: int, replacing: int | None
) -> bool:
    """Point the visitor at `conversation_id` if it is still on `replacing` (None: no chat yet).

    False when another request moved it first; the caller then rolls back its conversation.
    """
    current = (
        col(Visitor.conversation_id).is_(None)
        if replacing is None
        else col(Visitor.conversation_id) == replacing
    )
    result = session.execute(
        update(Visitor)
        .where(col(Visitor.id) == visitor.id, current)
        .values(conversation_id=conversation_id)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return False
    set_committed_value(visitor, "conversation_id", conversation_id)  # in step, not dirty
    return True
