"""The engine's reads and writes of conversations and messages (no commits here).

The statements a turn runs are built once, here: building a SQLAlchemy statement costs more
than running it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, update
from sqlalchemy import select as sql_select
from sqlmodel import Session, col, select

from dialogs.prompt import Prompt
from qualification.errors import NotFound
from storage.models import Conversation, Lead, LiveChat, Message

_CONVERSATION = Conversation.__table__  # type: ignore[attr-defined]
_MESSAGE = Message.__table__  # type: ignore[attr-defined]

_HOLD = (
    select(Conversation, Lead)
    .join(Lead, col(Lead.id) == col(Conversation.lead_id))
    .where(col(Conversation.id) == bindparam("conversation_id"))
    .execution_options(populate_existing=True)
)
_HOLD_LOCKED = _HOLD.with_for_update()
_LAST_SEQ = (
    select(func.max(Message.seq))
    .where(col(Message.conversation_id) == bindparam("conversation_id"))
    .scalar_subquery()
)
_LATEST_LIVE_CHAT = (
    select(func.max(LiveChat.id))
    .where(col(LiveChat.conversation_id) == bindparam("conversation_id"))
    .scalar_subquery()
)
# The messages a client turn id wrote, the conversation's last message, its latest live chat.
_TURN_RECORD = sql_select(
    col(Message.seq),
    col(Message.direction),
    col(Message.turn_id),
    col(Message.payload),
    _LATEST_LIVE_CHAT,
).where(
    col(Message.conversation_id) == bindparam("conversation_id"),
    or_(col(Message.turn_id) == bindparam("turn_id"), col(Message.seq) == _LAST_SEQ),
)
_INSERT_MESSAGES = insert(_MESSAGE)
_SAVE_TURN = (
    update(_CONVERSATION)
    .where(
        _CONVERSATION.c.id == bindparam("conversation_id"),
        _CONVERSATION.c.version == bindparam("seen_version"),
    )
    .values(
        version=bindparam("new_version"),
        state=bindparam("new_state"),
        status=bindparam("new_status"),
        context=bindparam("new_context", type_=_CONVERSATION.c.context.type),
        outcome=bindparam("new_outcome", type_=_CONVERSATION.c.outcome.type),
        updated_at=bindparam("new_updated_at", type_=_CONVERSATION.c.updated_at.type),
        completed_at=bindparam("new_completed_at", type_=_CONVERSATION.c.completed_at.type),
    )
)
TURN_COLUMNS = ("state", "status", "context", "outcome", "updated_at", "completed_at")


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


@dataclass(frozen=True)
class TurnRecord:
    """What a client turn id has written in a conversation so far, the conversation's last
    message seq (the next message is `last_seq + 1`) and its latest live chat, if it had one."""

    last_seq: int
    said_seq: int | None = None  # what was said ("in")
    reply_seq: int | None = None  # the bot's reply ("out")
    reply: Mapping[str, Any] | None = None  # the reply's payload: the Prompt as JSON
    live_chat_id: int | None = None


def turn_record(*, session: Session, conversation_id: int, turn_id: str) -> TurnRecord:
    """One query. Run it after holding the conversation (`hold`), so the seq is current."""
    rows = session.execute(
        _TURN_RECORD, {"conversation_id": conversation_id, "turn_id": turn_id}
    ).all()
    last_seq = max((row[0] for row in rows), default=0)
    said_seq = reply_seq = None
    reply = None
    for seq, direction, written_by, payload, _live_chat in rows:
        if written_by != turn_id:
            continue
        if direction == "in":
            said_seq = seq
        elif direction == "out":
            reply_seq, reply = seq, payload
    return TurnRecord(
        last_seq=last_seq,
        said_seq=said_seq,
        reply_seq=reply_seq,
        reply=reply,
        live_chat_id=rows[0][4] if rows else None,
    )


def hold(*, session: Session, conversation_id: int) -> tuple[Conversation, Lead]:
    """The conversation and its lead, read afresh and held until the transaction ends
    (`FOR UPDATE` on PostgreSQL; a SQLite transaction holds the write lock already)."""
    query = _HOLD_LOCKED if is_postgres(session) else _HOLD
    found = session.exec(query, params={"conversation_id": conversation_id}).first()
    if found is None:
        raise NotFound(f"no conversation with id {conversation_id}")
    conversation, lead = found
    return conversation, lead


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


def save_turn(*, session: Session, conversation: Conversation, values: dict[str, Any]) -> bool:
    """Write a turn's changes (`TURN_COLUMNS`; the others keep their values) and bump the
    version, if it is still the conversation's; False if another change got there first.
    The in-memory conversation is left as it was read."""
    assert conversation.id is not None
    params = {f"new_{name}": values.get(name, getattr(conversation, name)) for name in TURN_COLUMNS}
    result = session.execute(
        _SAVE_TURN,
        {
            **params,
            "conversation_id": conversation.id,
            "seen_version": conversation.version,
            "new_version": conversation.version + 1,
        },
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def message_row(
    *,
    conversation_id: int,
    seq: int,
    direction: str,
    author: str,
    text: str,
    turn_id: str | None,
    now: datetime,
    author_user_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A message's column values, for `add_messages`."""
    return {
        "conversation_id": conversation_id,
        "seq": seq,
        "direction": direction,
        "author": author,
        "author_user_id": author_user_id,
        "text": text,
        "turn_id": turn_id,
        "payload": payload,
        "created_at": now,
    }


def add_messages(*, session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert messages whose seqs the caller took from `turn_record` (one statement)."""
    session.execute(_INSERT_MESSAGES, rows)


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
