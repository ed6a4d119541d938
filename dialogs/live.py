"""Live chat: a prospect and an SDR talking through Baton, the bot silent meanwhile.

Every change here is one transaction that first holds the conversation (FOR UPDATE on
PostgreSQL, BEGIN IMMEDIATE on SQLite) and bumps its version, so messages from the widget,
from Slack and from the bot get consecutive sequence numbers and never interleave badly.
A change that also writes the lead holds the lead first: moving a lead to nurture or
disqualified (storage.leads.move_stage) holds it and then ends its open live chats, and the
same order on both sides keeps two such transactions from deadlocking.
The conversation's messages are the transcript: prospect, sdr (with the user), system.
While a live chat is open the conversation's status is `human` and the engine does not
answer — that is in the data, whichever channel asks. Channels render; they decide nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from dialogs import store
from dialogs.engine import DialogEngine
from dialogs.intake import clean_input
from dialogs.live_desk import OFFER_FOLLOWUP
from qualification.errors import ConcurrentTurn, InvalidInput, PermissionDenied
from qualification.stages import Role, Stage
from storage import live_chats as rows
from storage.hot_leads import claim_lead
from storage.leads import get_lead, lock_lead
from storage.live_chats import ENDED_NOTICE
from storage.live_chats import display_name as display_name  # channels name SDRs this way
from storage.models import Conversation, FollowUp, LiveChat, Message, User

SYSTEM = "system"
FOLLOWUP_KINDS = ("email", "meeting")


class ChatAlreadyTaken(PermissionDenied):
    """Another SDR took the live chat first."""

    def __init__(self, owner: str) -> None:
        super().__init__(f"{owner} has already taken this chat.")
        self.owner = owner


class ChatNotOpen(PermissionDenied):
    """The live chat has ended (or was never taken) so the action does not apply."""


@dataclass(frozen=True)
class LiveState:
    """What a channel shows about a conversation's live chat."""

    live_chat_id: int
    status: str  # waiting, live, ended, missed
    agent: str | None  # the SDR's display name once taken

    def to_json(self) -> dict[str, Any]:
        return {"id": self.live_chat_id, "status": self.status, "agent": self.agent}


def live_state(*, session: Session, conversation_id: int) -> LiveState | None:
    """The conversation's latest live chat, for the widget."""
    chat = rows.latest_live_chat_of(session=session, conversation_id=conversation_id)
    if chat is None or chat.id is None:
        return None
    owner = session.get(User, chat.owner_user_id) if chat.owner_user_id else None
    return LiveState(
        live_chat_id=chat.id,
        status=chat.status,
        agent=display_name(owner) if owner else None,
    )


def _hold(session: Session, conversation_id: int, now: datetime) -> Conversation:
    """Hold the conversation for this transaction and bump its version."""
    conversation = store.load_conversation(
        session=session, conversation_id=conversation_id, lock=True
    )
    if not store.claim_turn(
        session=session, conversation_id=conversation_id, version=conversation.version, now=now
    ):
        raise ConcurrentTurn("Another change reached this conversation first; try again.")
    conversation.version += 1
    return conversation


def _system(
    session: Session,
    conversation_id: int,
    text: str,
    *,
    event: str,
    now: datetime,
    agent: str | None = None,
    offer: str | None = None,
) -> Message:
    return store.add_message(
        session=session,
        conversation_id=conversation_id,
        direction="out",
        author=SYSTEM,
        text=text,
        turn_id=None,
        now=now,
        payload={"live": {"event": event, "agent": agent}, "offer": offer},
    )


def _commit(session: Session) -> None:
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise


# --- the prospect's side ------------------------------------------------------------------


def post_prospect_message(
    *, session: Session, conversation_id: int, text: str | bytes, turn_id: str, now: datetime
) -> Message | None:
    """Store the prospect's message in an open live chat and queue its relay to Slack; commits.

    Returns None (nothing written) when the conversation has no open live chat — the caller
    then lets the bot answer. A repeated turn id returns the message stored the first time.
    """
    intake = clean_input(text)
    try:
        existing = _message_with_turn(session, conversation_id, "in", turn_id)
        if existing is not None:
            # The bot answered that turn (before the chat opened): it is the bot's to repeat.
            answered = _message_with_turn(session, conversation_id, "out", turn_id)
            session.rollback()
            return None if answered is not None else existing
        chat = rows.open_live_chat_of(session=session, conversation_id=conversation_id)
        if chat is None:
            session.rollback()
            return None
        if intake.text is None:
            raise InvalidInput(intake.problem or "That message was empty.")
        _hold(session, conversation_id, now)
        chat = rows.open_live_chat_of(session=session, conversation_id=conversation_id)
        if chat is None or chat.id is None:  # the chat ended while we waited for the lock
            session.rollback()
            return None
        message = store.add_message(
            session=session,
            conversation_id=conversation_id,
            direction="in",
            author="prospect",
            text=intake.text,
            turn_id=turn_id,
            now=now,
        )
        rows.queue_relay(session=session, live_chat_id=chat.id, seq=message.seq)
        session.commit()
        return message
    except IntegrityError:
        session.rollback()
        if _message_with_turn(session, conversation_id, "out", turn_id) is not None:
            return None
        return _message_with_turn(session, conversation_id, "in", turn_id)
    except BaseException:
        session.rollback()
        raise


def _message_with_turn(
    session: Session, conversation_id: int, direction: str, turn_id: str
) -> Message | None:
    return session.exec(
        select(Message).where(
            Message.conversation_id == conversation_id,
            Message.direction == direction,
            Message.turn_id == turn_id,
        )
    ).first()


def request_live_chat(
    *, session: Session, engine: DialogEngine, conversation_id: int, now: datetime
) -> LiveChat:
    """Open a live chat on a conversation whose flow has finished (the prospect took the offer
    to talk to someone now); commits. An open chat is returned as it is (a double click).

    Raises ChatNotOpen when nobody can take live chats now (the caller offers a follow-up).
    """
    desk = engine.desk
    try:
        existing = rows.open_live_chat_of(session=session, conversation_id=conversation_id)
        if existing is not None:
            session.rollback()
            return existing
        conversation = store.load_conversation(session=session, conversation_id=conversation_id)
        if conversation.channel != "web" or desk is None or not desk.open_now(now):
            raise ChatNotOpen(desk.offline_note(now) if desk else "Live chat is not available.")
        if conversation.status == "active":
            raise InvalidInput("Type 'talk to a human' to reach someone during the questions.")
        conversation = _hold(session, conversation_id, now)
        existing = rows.open_live_chat_of(session=session, conversation_id=conversation_id)
        if existing is not None:
            session.rollback()
            return existing
        chat = rows.create_live_chat(
            session=session,
            conversation=conversation,
            resume_step=None,
            answer_by=desk.answer_by(now),
            source_page=rows.page_of_conversation(session=session, conversation_id=conversation_id),
            now=now,
        )
        store.save_conversation(
            session=session, conversation_id=conversation_id, values={"status": "human"}
        )
        _system(
            session,
            conversation_id,
            "I'm connecting you with someone from our team. " + desk.wait_note(),
            event="waiting",
            now=now,
        )
        session.commit()
        return chat
    except BaseException:
        session.rollback()
        raise


def request_follow_up(
    *, session: Session, conversation_id: int, kind: str, email: str | None, now: datetime
) -> FollowUp:
    """Record that the prospect wants an email or a meeting; commits. An email given here
    fills the lead's empty email. The SDR channel is told (outbox)."""
    if kind not in FOLLOWUP_KINDS:
        raise InvalidInput(f"a follow-up is one of {', '.join(FOLLOWUP_KINDS)}")
    try:
        # The lead is held before the conversation (see the module's docstring).
        known = store.load_conversation(session=session, conversation_id=conversation_id)
        lead = lock_lead(session=session, lead=get_lead(session=session, lead_id=known.lead_id))
        conversation = _hold(session, conversation_id, now)
        if conversation.lead_id != lead.id:  # merged into another lead meanwhile
            lead = get_lead(session=session, lead_id=conversation.lead_id)
            lock_lead(session=session, lead=lead)
        if email:
            try:
                address = validate_email(email, check_deliverability=False).normalized
            except EmailNotValidError as exc:
                raise InvalidInput(f"That email address does not look right: {exc}") from exc
            if lead.email is None:
                lead.email = address.lower()
                session.add(lead)
        if lead.email is None:
            raise InvalidInput("Please give an email address so we can reach you.")
        chat = rows.latest_live_chat_of(session=session, conversation_id=conversation_id)
        cause = "offline" if chat is None else ("missed" if chat.status == "missed" else "ended")
        follow_up = rows.add_follow_up(
            session=session,
            lead_id=conversation.lead_id,
            conversation_id=conversation_id,
            live_chat_id=chat.id if chat else None,
            kind=kind,
            cause=cause,
            now=now,
        )
        text = (
            "Thanks! Someone from our team will email you shortly."
            if kind == "email"
            else "Thanks! Someone from our team will be in touch to set up a meeting."
        )
        _system(session, conversation_id, text, event="followup", now=now)
        session.commit()
        return follow_up
    except IntegrityError:
        session.rollback()
        raise InvalidInput("That email address belongs to another contact.") from None
    except BaseException:
        session.rollback()
        raise


# --- the SDR's side -------------------------------------------------------------------------


def _staff(user: User) -> None:
    if not user.active or user.role not in (Role.SDR, Role.MANAGER):
        raise PermissionDenied(f"only active SDRs and managers take live chats ({user.email})")


def _owner_name(session: Session, chat: LiveChat) -> str:
    owner = session.get(User, chat.owner_user_id) if chat.owner_user_id else None
    return display_name(owner) if owner else "Someone"


def take_chat(*, session: Session, live_chat_id: int, user: User, now: datetime) -> LiveChat:
    """Make `user` the owner of a waiting chat (first take wins); commits. The prospect is told
    who joined; an unowned lead becomes the SDR's (claimed, MQL → SAL, audited).

    Raises ChatAlreadyTaken naming the owner, or ChatNotOpen when the chat has ended.
    """
    _staff(user)
    assert user.id is not None
    try:
        chat = rows.get_live_chat(session=session, live_chat_id=live_chat_id)
        if chat.status == rows.LIVE and chat.owner_user_id == user.id:
            session.rollback()
            return chat
        lead = lock_lead(session=session, lead=get_lead(session=session, lead_id=chat.lead_id))
        _hold(session, chat.conversation_id, now)
        if not rows.take(session=session, live_chat_id=live_chat_id, user_id=user.id, now=now):
            chat = rows.get_live_chat(session=session, live_chat_id=live_chat_id)
            session.rollback()
            if chat.status == rows.LIVE:
                if chat.owner_user_id == user.id:
                    return chat
                raise ChatAlreadyTaken(_owner_name(session, chat))
            raise ChatNotOpen("This chat has already ended.")
        if lead.owner_id is None and lead.stage is not Stage.DISQUALIFIED:
            claim_lead(session=session, lead_id=chat.lead_id, user=user)
        name = display_name(user)
        _system(
            session,
            chat.conversation_id,
            f"{name} from our team has joined the chat.",
            event="joined",
            agent=name,
            now=now,
        )
        session.commit()
        return rows.get_live_chat(session=session, live_chat_id=live_chat_id)
    except BaseException:
        session.rollback()
        raise


def _owned_live_chat(session: Session, live_chat_id: int, user: User) -> LiveChat:
    chat = rows.get_live_chat(session=session, live_chat_id=live_chat_id)
    if chat.status != rows.LIVE:
        raise ChatNotOpen(
            "Take the chat first." if chat.status == rows.WAITING else "This chat has ended."
        )
    if chat.owner_user_id != user.id:
        raise ChatAlreadyTaken(_owner_name(session, chat))
    return chat


def chat_for_controls(*, session: Session, live_chat_id: int, user: User) -> LiveChat:
    """The chat, if `user` may act on it from its controls (record answers, hand the lead
    off, return it to nurture): the SDR who took it, or a manager. Reads only.

    Raises ChatAlreadyTaken naming the owner, or ChatNotOpen when nobody has taken it.
    """
    _staff(user)
    chat = rows.get_live_chat(session=session, live_chat_id=live_chat_id)
    if user.role is Role.MANAGER or (
        chat.owner_user_id is not None and chat.owner_user_id == user.id
    ):
        return chat
    if chat.owner_user_id is None:
        raise ChatNotOpen("Take the chat first.")
    raise ChatAlreadyTaken(_owner_name(session, chat))


def post_sdr_message(
    *, session: Session, live_chat_id: int, user: User, text: str, message_key: str, now: datetime
) -> Message:
    """The owner's reply to the prospect (shown in the widget with their name); commits.

    `message_key` (e.g. the Slack message ts) makes a repeated delivery apply once: the
    second call returns the first message. Only the owner of a live chat may reply.
    """
    turn_id = f"sdr:{message_key}"[:64]
    try:
        chat = rows.get_live_chat(session=session, live_chat_id=live_chat_id)
        existing = _message_with_turn(session, chat.conversation_id, "out", turn_id)
        if existing is not None:
            session.rollback()
            return existing
        _owned_live_chat(session, live_chat_id, user)
        intake = clean_input(text)
        if intake.text is None:
            raise InvalidInput(intake.problem or "That message was empty.")
        _hold(session, chat.conversation_id, now)
        chat = _owned_live_chat(session, live_chat_id, user)
        message = store.add_message(
            session=session,
            conversation_id=chat.conversation_id,
            direction="out",
            author="sdr",
            author_user_id=user.id,
            text=intake.text,
            turn_id=turn_id,
            now=now,
            payload={"live": {"event": "message", "agent": display_name(user)}},
        )
        session.commit()
        return message
    except IntegrityError:
        session.rollback()
        chat = rows.get_live_chat(session=session, live_chat_id=live_chat_id)
        existing = _message_with_turn(session, chat.conversation_id, "out", turn_id)
        if existing is None:
            raise
        return existing
    except BaseException:
        session.rollback()
        raise


def hand_back(
    *, session: Session, engine: DialogEngine, live_chat_id: int, user: User, now: datetime
) -> LiveChat:
    """The SDR hands the conversation back to the bot: it asks its next question again (or,
    when the flow had finished, the conversation is finished again); commits."""
    return _close(
        session=session,
        engine=engine,
        live_chat_id=live_chat_id,
        user=user,
        now=now,
        reason="handed_back",
    )


def end_chat(
    *, session: Session, engine: DialogEngine, live_chat_id: int, user: User, now: datetime
) -> LiveChat:
    """The SDR ends the chat; the conversation is finished (the prospect may start anew)."""
    return _close(
        session=session,
        engine=engine,
        live_chat_id=live_chat_id,
        user=user,
        now=now,
        reason="ended",
    )


def _close(
    *,
    session: Session,
    engine: DialogEngine,
    live_chat_id: int,
    user: User,
    now: datetime,
    reason: str,
) -> LiveChat:
    _staff(user)
    try:
        chat = rows.get_live_chat(session=session, live_chat_id=live_chat_id)
        if chat.status not in rows.OPEN:
            session.rollback()
            raise ChatNotOpen("This chat has already ended.")
        if (
            chat.status == rows.LIVE
            and chat.owner_user_id != user.id
            and user.role is not Role.MANAGER
        ):
            raise ChatAlreadyTaken(_owner_name(session, chat))
        conversation = _hold(session, chat.conversation_id, now)
        if not rows.close(
            session=session,
            live_chat_id=live_chat_id,
            status=rows.ENDED,
            reason=reason,
            by=user.email,
            now=now,
        ):
            session.rollback()
            raise ChatNotOpen("This chat has already ended.")
        name = display_name(user)
        if reason == "handed_back":
            _system(
                session,
                chat.conversation_id,
                f"{name} handed the chat back to our assistant.",
                event="handed_back",
                agent=name,
                now=now,
            )
            engine.resume(
                session=session, conversation=conversation, step_id=chat.resume_step, now=now
            )
        else:
            _system(
                session,
                chat.conversation_id,
                ENDED_NOTICE.format(name=name),
                event="ended",
                agent=name,
                now=now,
            )
            _finish(session, conversation, now)
        session.commit()
        return rows.get_live_chat(session=session, live_chat_id=live_chat_id)
    except BaseException:
        session.rollback()
        raise


def _finish(session: Session, conversation: Conversation, now: datetime) -> None:
    assert conversation.id is not None
    store.save_conversation(
        session=session,
        conversation_id=conversation.id,
        values={"status": "completed", "completed_at": now, "updated_at": now},
    )


def expire_unanswered(*, session: Session, engine: DialogEngine, now: datetime) -> list[int]:
    """Waiting chats nobody took in time: the prospect is told honestly and offered a follow-up,
    the bot carries on where it was, the chat is marked missed (the lead's flag); commits each.
    Several workers may run this at once: each chat is closed once."""
    missed: list[int] = []
    for live_chat_id in rows.due_unanswered(session=session, now=now):
        session.rollback()
        try:
            chat = rows.get_live_chat(session=session, live_chat_id=live_chat_id)
            conversation = _hold(session, chat.conversation_id, now)
            if not rows.close(
                session=session,
                live_chat_id=live_chat_id,
                status=rows.MISSED,
                reason="missed",
                by="timeout",
                now=now,
                only_if=(rows.WAITING,),
            ):
                session.rollback()
                continue
            _system(
                session,
                chat.conversation_id,
                "I'm sorry — everyone on our team is busy right now, so nobody could join."
                " We can follow up by email or set up a meeting.",
                event="missed",
                offer=OFFER_FOLLOWUP,
                now=now,
            )
            if chat.resume_step is not None:
                engine.resume(
                    session=session, conversation=conversation, step_id=chat.resume_step, now=now
                )
            else:
                _finish(session, conversation, now)
            session.commit()
            missed.append(live_chat_id)
        except ConcurrentTurn:
            session.rollback()
        except BaseException:
            session.rollback()
            raise
    session.rollback()
    return missed
