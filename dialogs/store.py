"""The engine's reads and writes of conversations and messages (no commits here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from dialogs.prompt import Prompt
from qualification.errors import NotFound
from storage.models import Conversation, Message


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def stored_reply(*, session: Session, conversation_id: int, turn_id: str) -> Prompt | None:
    """The reply already given to this client turn id, if the turn was applied before."""
    payload = session.exec(
        select(Message.payload).where(
            Message.conversation_id == conversation_id,
            Message.direction == "out",
            Message.turn_id == turn_id,
        )
    ).first()
    return Prompt.from_json(dict(payload)) if payload else None


def turn_messages(*, session: Session, conversation_id: int, turn_id: str) -> dict[str, Message]:
    """The messages a client turn id has written so far, by direction ("in": what was said,
    "out": the bot's reply, whose payload is the Prompt); empty for a new turn."""
    rows = session.exec(
        select(Message).where(
            Message.conversation_id == conversation_id, Message.turn_id == turn_id
        )
    ).all()
    return {row.direction: row for row in rows}


def last_reply(*, session: Session, conversation_id: int) -> Prompt | None:
    """The bot's latest prompt in a conversation (not a live chat's SDR or system message)."""
    payload = session.exec(
        select(Message.payload)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == "out",
            Message.author == "bot",
        )
        .order_by(col(Message.seq).desc())
    ).first()
    return Prompt.from_json(dict(payload)) if payload else None


def load_conversation(
    *, session: Session, conversation_id: int, lock: bool = False
) -> Conversation:
    """Read the conversation row afresh; `lock` takes a row lock (PostgreSQL `FOR UPDATE`)."""
    query = select(Conversation).where(Conversation.id == conversation_id)
    if lock and is_postgres(session):
        query = query.with_for_update()
    conversation = session.exec(query.execution_options(populate_existing=True)).first()
    if conversation is None:
        raise NotFound(f"no conversation with id {conversation_id}")
    return conversation


def claim_turn(*, session: Session, conversation_id: int, version: int, now: datetime) -> bool:
    """Bump the version if it is still `version` (the first write of a turn); False if not."""
    result = session.execute(
        update(Conversation)
        .where(col(Conversation.id) == conversation_id, col(Conversation.version) == version)
        .values(version=version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def save_conversation(*, session: Session, conversation_id: int, values: dict[str, Any]) -> None:
    """Write the turn's new state, status, context and outcome."""
    session.execute(
        update(Conversation)
        .where(col(Conversation.id) == conversation_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def add_message(
    *,
    session: Session,
    conversation_id: int,
    direction: str,
    author: str,
    text: str,
    turn_id: str | None,
    now: datetime,
    author_user_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> Message:
    """Append a message with the next sequence number of the conversation."""
    last = session.exec(
        select(func.max(Message.seq)).where(Message.conversation_id == conversation_id)
    ).one()
    message = Message(
        conversation_id=conversation_id,
        seq=(last or 0) + 1,
        direction=direction,
        author=author,
        author_user_id=author_user_id,
        text=text,
        turn_id=turn_id,
        payload=payload,
        created_at=now,
    )
    session.add(message)
    session.flush()
    return message


def recent_messages(*, session: Session, conversation_id: int, limit: int) -> list[Message]:
    """The latest `limit` messages of a conversation, oldest first (for a transcript view)."""
    rows = session.exec(
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(col(Message.seq).desc())
        .limit(limit)
    ).all()
    return list(reversed(rows))
