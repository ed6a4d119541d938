"""Live chat rows: open, take, end; the Slack relay's cursor and lease. No commits here.

A lead that leaves sales' hands (back to nurture, or disqualified) ends its open live chats in
the same transaction, as an SDR's End chat would (`end_for_stage_move`, called by the stage
move itself so that every way of moving a lead does it).

Topics queued for channels (each payload names the live chat):
`live.requested` (post the request with Take it), `live.taken`, `live.ended` (also for missed
and handed-back chats), `live.message` (relay the prospect's messages to the Slack thread),
`followup.requested`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from qualification.errors import NotFound
from storage.models import (
    Conversation,
    FollowUp,
    LiveChat,
    Message,
    OutboxItem,
    User,
    Visitor,
)
from storage.outbox import EVENT, enqueue

WAITING = "waiting"
LIVE = "live"
ENDED = "ended"
MISSED = "missed"
OPEN = (WAITING, LIVE)

REQUESTED = "live.requested"
TAKEN = "live.taken"
CLOSED = "live.ended"
RELAY = "live.message"
FOLLOWUP = "followup.requested"

# What the prospect reads when their chat is ended by someone (or something) on our side.
ENDED_NOTICE = "{name} has ended the chat. Thank you for talking with us!"
OUR_TEAM = "Our team"


def display_name(user: User) -> str:
    """How an SDR is named to the prospect: their name, or the part of the email before @."""
    return (user.name or user.email.split("@", 1)[0]).strip() or OUR_TEAM


def get_live_chat(*, session: Session, live_chat_id: int, lock: bool = False) -> LiveChat:
    """The live chat, read afresh (`lock`: FOR UPDATE on PostgreSQL)."""
    query = select(LiveChat).where(LiveChat.id == live_chat_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    chat = session.exec(query.execution_options(populate_existing=True)).first()
    if chat is None:
        raise NotFound(f"no live chat with id {live_chat_id}")
    return chat


def open_live_chat_of(*, session: Session, conversation_id: int) -> LiveChat | None:
    """The conversation's waiting or live chat, if it has one."""
    return session.exec(
        select(LiveChat)
        .where(LiveChat.conversation_id == conversation_id, col(LiveChat.status).in_(OPEN))
        .execution_options(populate_existing=True)
    ).first()


def latest_live_chat_of(*, session: Session, conversation_id: int) -> LiveChat | None:
    return session.exec(
        select(LiveChat)
        .where(LiveChat.conversation_id == conversation_id)
        .order_by(col(LiveChat.id).desc())
        .execution_options(populate_existing=True)
    ).first()


def live_chat_for_thread(*, session: Session, channel: str, thread_ts: str) -> LiveChat | None:
    """The live chat whose Slack thread this is."""
    return session.exec(
        select(LiveChat)
        .where(LiveChat.slack_channel == channel, LiveChat.slack_ts == thread_ts)
        .execution_options(populate_existing=True)
    ).first()


def live_chats_of_lead(*, session: Session, lead_id: int) -> list[LiveChat]:
    return list(
        session.exec(
            select(LiveChat)
            .where(LiveChat.lead_id == lead_id)
            .order_by(col(LiveChat.id))
            .execution_options(populate_existing=True)
        ).all()
    )


def page_of_conversation(*, session: Session, conversation_id: int) -> str | None:
    """The page the widget visitor on this conversation was on, if known."""
    context = session.exec(
        select(Visitor.page_context).where(Visitor.conversation_id == conversation_id)
    ).first()
    url = (context or {}).get("url")
    return str(url) if url else None


def last_seq(*, session: Session, conversation_id: int) -> int:
    value = session.exec(
        select(func.max(Message.seq)).where(Message.conversation_id == conversation_id)
    ).one()
    return int(value or 0)


def create_live_chat(
    *,
    session: Session,
    conversation: Conversation,
    resume_step: str | None,
    answer_by: datetime,
    source_page: str | None,
    now: datetime,
) -> LiveChat:
    """A waiting live chat for the conversation, and the `live.requested` item to post it."""
    assert conversation.id is not None
    chat = LiveChat(
        conversation_id=conversation.id,
        lead_id=conversation.lead_id,
        status=WAITING,
        requested_at=now,
        answer_by=answer_by,
        resume_step=resume_step,
        source_page=(source_page or None) and source_page[:2000],
        start_seq=last_seq(session=session, conversation_id=conversation.id),
    )
    chat.relayed_seq = chat.start_seq
    session.add(chat)
    session.flush()
    enqueue(
        session=session,
        kind=EVENT,
        topic=REQUESTED,
        payload={"live_chat_id": chat.id, "lead_id": chat.lead_id},
        dedupe_key=f"{REQUESTED}:{chat.id}",
    )
    return chat


def take(*, session: Session, live_chat_id: int, user_id: int, now: datetime) -> bool:
    """Make `user_id` the owner of a waiting chat: one conditional UPDATE, so of two racing
    takes exactly one wins. False when the chat was not waiting any more."""
    result = session.execute(
        update(LiveChat)
        .where(col(LiveChat.id) == live_chat_id, col(LiveChat.status) == WAITING)
        .values(status=LIVE, owner_user_id=user_id, taken_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return False
    enqueue(
        session=session,
        kind=EVENT,
        topic=TAKEN,
        payload={"live_chat_id": live_chat_id, "owner": user_id},
        dedupe_key=f"{TAKEN}:{live_chat_id}",
    )
    return True


def close(
    *,
    session: Session,
    live_chat_id: int,
    status: str,
    reason: str,
    by: str,
    now: datetime,
    only_if: tuple[str, ...] = OPEN,
) -> bool:
    """End an open chat (status `ended` or `missed`) if it is still in `only_if`; queues
    `live.ended`. False when another change closed it first."""
    result = session.execute(
        update(LiveChat)
        .where(col(LiveChat.id) == live_chat_id, col(LiveChat.status).in_(only_if))
        .values(status=status, ended_at=now, end_reason=reason, ended_by=by[:320])
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return False
    enqueue(
        session=session,
        kind=EVENT,
        topic=CLOSED,
        payload={"live_chat_id": live_chat_id, "reason": reason},
        dedupe_key=f"{CLOSED}:{live_chat_id}",
    )
    return True


def end_for_stage_move(
    *, session: Session, lead_id: int, by: str, user_id: int | None, now: datetime
) -> list[int]:
    """End the lead's open live chats because the lead was returned to nurture or
    disqualified, as End chat does: each conversation is held and its version bumped, the
    prospect told (a system message naming who ended it, or "Our team"), the conversation
    finished, and `live.ended` queued so the Slack card and thread say so. `by` is who moved the
    lead (a user's email, or the system actor's label). Returns the ids of the chats ended."""
    chat_ids = session.exec(
        select(LiveChat.id)
        .where(LiveChat.lead_id == lead_id, col(LiveChat.status).in_(OPEN))
        .order_by(col(LiveChat.id))
    ).all()
    if not chat_ids:
        return []
    user = session.get(User, user_id) if user_id is not None else None
    name = display_name(user) if user is not None else OUR_TEAM
    ended: list[int] = []
    for live_chat_id in chat_ids:
        assert live_chat_id is not None
        chat = get_live_chat(session=session, live_chat_id=live_chat_id)
        # Held before the chat is closed, as every live chat change holds it (see dialogs.live).
        held = select(Conversation.id).where(col(Conversation.id) == chat.conversation_id)
        if session.get_bind().dialect.name == "postgresql":
            held = held.with_for_update()
        session.exec(held).one()
        if not close(
            session=session, live_chat_id=live_chat_id, status=ENDED, reason="ended", by=by, now=now
        ):
            continue  # ended by someone else meanwhile: they told the prospect
        session.add(
            Message(
                conversation_id=chat.conversation_id,
                seq=last_seq(session=session, conversation_id=chat.conversation_id) + 1,
                direction="out",
                author="system",
                text=ENDED_NOTICE.format(name=name),
                turn_id=None,
                payload={"live": {"event": "ended", "agent": name}, "offer": None},
                created_at=now,
            )
        )
        session.execute(
            update(Conversation)
            .where(col(Conversation.id) == chat.conversation_id)
            .values(
                version=col(Conversation.version) + 1,
                status="completed",
                completed_at=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        session.flush()
        ended.append(live_chat_id)
    return ended


def due_unanswered(*, session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Waiting chats nobody took in time."""
    return [
        int(i)
        for i in session.exec(
            select(LiveChat.id)
            .where(LiveChat.status == WAITING, col(LiveChat.answer_by) <= now)
            .order_by(col(LiveChat.answer_by))
            .limit(limit)
        ).all()
        if i is not None
    ]


def queue_relay(*, session: Session, live_chat_id: int, seq: int) -> None:
    """Ask the worker to relay the prospect's messages up to `seq` to the Slack thread."""
    enqueue(
        session=session,
        kind=EVENT,
        topic=RELAY,
        payload={"live_chat_id": live_chat_id, "seq": seq},
        dedupe_key=f"{RELAY}:{live_chat_id}:{seq}",
    )


def record_thread(*, session: Session, live_chat_id: int, channel: str, ts: str) -> None:
    """Where the chat's Slack thread is (its root message)."""
    session.execute(
        update(LiveChat)
        .where(col(LiveChat.id) == live_chat_id)
        .values(slack_channel=channel, slack_ts=ts)
        .execution_options(synchronize_session=False)
    )


def request_item(*, session: Session, live_chat_id: int) -> OutboxItem | None:
    """The `live.requested` item that posts the chat's thread (to wait for it, or to know
    that it gave up)."""
    return session.exec(
        select(OutboxItem).where(OutboxItem.dedupe_key == f"{REQUESTED}:{live_chat_id}")
    ).first()


# --- the Slack relay: a lease per chat so one worker relays it at a time, in order ----------


def acquire_relay(
    *, session: Session, live_chat_id: int, now: datetime, lease_seconds: float = 60.0
) -> bool:
    """Take the chat's relay lease (free or expired); False when another worker holds it."""
    result = session.execute(
        update(LiveChat)
        .where(
            col(LiveChat.id) == live_chat_id,
            or_(
                col(LiveChat.relay_lease_until).is_(None),
                col(LiveChat.relay_lease_until) < now,
            ),
        )
        .values(relay_lease_until=now + timedelta(seconds=lease_seconds))
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


def release_relay(*, session: Session, live_chat_id: int) -> None:
    session.execute(
        update(LiveChat)
        .where(col(LiveChat.id) == live_chat_id)
        .values(relay_lease_until=None)
        .execution_options(synchronize_session=False)
    )


def unrelayed_messages(
    *, session: Session, chat: LiveChat, up_to: int | None = None
) -> list[Message]:
    """The prospect's messages not yet relayed to Slack, oldest first."""
    query = select(Message).where(
        Message.conversation_id == chat.conversation_id,
        Message.author == "prospect",
        col(Message.seq) > chat.relayed_seq,
    )
    if up_to is not None:
        query = query.where(col(Message.seq) <= up_to)
    return list(session.exec(query.order_by(col(Message.seq))).all())


def mark_relayed(*, session: Session, live_chat_id: int, seq: int) -> None:
    """Move the relay cursor forward (never back)."""
    session.execute(
        update(LiveChat)
        .where(col(LiveChat.id) == live_chat_id, col(LiveChat.relayed_seq) < seq)
        .values(relayed_seq=seq)
        .execution_options(synchronize_session=False)
    )


# --- follow-ups ----------------------------------------------------------------------------


def add_follow_up(
    *,
    session: Session,
    lead_id: int,
    conversation_id: int | None,
    live_chat_id: int | None,
    kind: str,
    cause: str,
    now: datetime,
) -> FollowUp:
    """Record the prospect's wish to be contacted and queue its notice for the SDRs."""
    follow_up = FollowUp(
        lead_id=lead_id,
        conversation_id=conversation_id,
        live_chat_id=live_chat_id,
        kind=kind,
        cause=cause,
        created_at=now,
    )
    session.add(follow_up)
    session.flush()
    enqueue(
        session=session,
        kind=EVENT,
        topic=FOLLOWUP,
        payload={"follow_up_id": follow_up.id, "lead_id": lead_id, "kind": kind, "cause": cause},
        dedupe_key=f"{FOLLOWUP}:{follow_up.id}",
    )
    return follow_up


def follow_up_of(*, session: Session, conversation_id: int) -> FollowUp | None:
    return session.exec(
        select(FollowUp)
        .where(FollowUp.conversation_id == conversation_id)
        .order_by(col(FollowUp.id).desc())
    ).first()


def messages_after(
    *, session: Session, conversation_id: int, after_seq: int, limit: int = 200
) -> list[Message]:
    """A conversation's messages after `after_seq`, in order (what a reconnecting widget missed)."""
    return list(
        session.exec(
            select(Message)
            .where(Message.conversation_id == conversation_id, col(Message.seq) > after_seq)
            .order_by(col(Message.seq))
            .limit(limit)
        ).all()
    )


def latest_seqs(*, session: Session, conversation_ids: list[int]) -> dict[int, int]:
    """The last message seq of each conversation (one query; for waking waiting streams)."""
    if not conversation_ids:
        return {}
    rows = session.exec(
        select(Message.conversation_id, func.max(Message.seq))
        .where(col(Message.conversation_id).in_(conversation_ids))
        .group_by(col(Message.conversation_id))
    ).all()
    return {int(cid): int(seq or 0) for cid, seq in rows}


def turn_seqs(*, session: Session, conversation_id: int, turn_id: str) -> dict[str, int]:
    """The seqs of the messages a client turn id wrote, by direction ("in": what was said,
    "out": the bot's reply); empty when the turn wrote nothing."""
    found = session.exec(
        select(Message.direction, Message.seq).where(
            Message.conversation_id == conversation_id, Message.turn_id == turn_id
        )
    ).all()
    return {str(direction): int(seq) for direction, seq in found}
