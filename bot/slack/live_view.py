"""What the SDR channel shows about a live chat and a follow-up request, read at delivery time.

Built from the database in one transaction, so a card posted or updated late shows the chat as
it is now (taken, ended, missed), whatever order the outbox delivered its changes in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from dialogs.live import display_name
from storage import live_chats as rows
from storage.answers import current_answers
from storage.handoff_view import BantLine
from storage.hot_lead_view import HotLeadView, hot_lead_view
from storage.models import FollowUp, User
from storage.outbox_worker import PENDING
from storage.slack_posts import posts_for
from storage.users import get_user_by_email

# SlackPost subjects (subject_id: the live chat's id, or the follow-up's).
CARD = "live_chat"  # the request card, root of the chat's thread
CONTROLS = "live_controls"  # the owner's buttons, in the thread
CLOSING = "live_closing"  # the note in the thread when the chat ends
FOLLOW_UP = "follow_up"

CARD_POSTED_SOON = timedelta(seconds=2)


@dataclass(frozen=True)
class Person:
    """Someone as Slack shows them: a mention when linked, else their name."""

    name: str
    slack_id: str | None


@dataclass(frozen=True)
class Thread:
    channel: str
    ts: str


@dataclass(frozen=True)
class LiveChatView:
    live_chat_id: int
    lead: HotLeadView  # who, company, stage, score and the score's top reasons
    bant: tuple[BantLine, ...]
    status: str  # waiting, live, ended, missed
    source_page: str | None
    requested_at: datetime
    answer_by: datetime
    owner: Person | None
    taken_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None  # ended, handed_back, missed, …
    ended_by: Person | None  # None when nobody ended it (the wait ran out)
    bot_resumes: bool  # handed back mid-flow: the bot asks its questions again
    thread: Thread | None

    @property
    def wait_text(self) -> str:
        """How long the prospect was to wait for someone to take the chat ("2 min", "45 s")."""
        seconds = round((self.answer_by - self.requested_at).total_seconds())
        return f"{seconds} s" if seconds < 60 else f"{round(seconds / 60)} min"


def _person(user: User | None) -> Person | None:
    return Person(name=display_name(user), slack_id=user.slack_user_id) if user else None


def _ended_by(session: Session, ended_by: str | None) -> Person | None:
    if not ended_by or ended_by == "timeout":
        return None
    user = get_user_by_email(session=session, email=ended_by)
    return _person(user) or Person(name=ended_by, slack_id=None)


def bant_lines(session: Session, lead_id: int) -> tuple[BantLine, ...]:
    """The lead's current answers with their read-back summaries and who gave them."""
    return tuple(
        BantLine(
            dimension=dimension.value,
            summary=str(answer.parsed.get("summary") or answer.raw_text),
            given_by=answer.given_by.value,
        )
        for dimension, answer in current_answers(session=session, lead_id=lead_id).items()
    )


def live_chat_view(*, session: Session, live_chat_id: int) -> LiveChatView:
    """The chat, its lead and who acted on it (NotFound when the chat is gone)."""
    chat = rows.get_live_chat(session=session, live_chat_id=live_chat_id)
    owner = session.get(User, chat.owner_user_id) if chat.owner_user_id else None
    thread = (
        Thread(channel=chat.slack_channel, ts=chat.slack_ts)
        if chat.slack_channel and chat.slack_ts
        else None
    )
    return LiveChatView(
        live_chat_id=live_chat_id,
        lead=hot_lead_view(session=session, lead_id=chat.lead_id),
        bant=bant_lines(session, chat.lead_id),
        status=chat.status,
        source_page=chat.source_page,
        requested_at=chat.requested_at,
        answer_by=chat.answer_by,
        owner=_person(owner),
        taken_at=chat.taken_at,
        ended_at=chat.ended_at,
        end_reason=chat.end_reason,
        ended_by=_ended_by(session, chat.ended_by),
        bot_resumes=chat.resume_step is not None,
        thread=thread,
    )


def posted(session: Session, subject: str, subject_id: int) -> tuple[Thread, ...]:
    """The messages Baton posted about the subject, oldest first."""
    return tuple(
        Thread(channel=post.channel, ts=post.ts)
        for post in posts_for(session=session, subject=subject, subject_id=subject_id)
    )


def thread_expected_at(*, session: Session, live_chat_id: int, now: datetime) -> datetime | None:
    """When to look again for the chat's thread, which is not posted yet: soon while its
    request is on its way, at its next attempt after a failure; None when it will not come
    (given up, or there was no channel to post in)."""
    item = rows.request_item(session=session, live_chat_id=live_chat_id)
    if item is None or item.status != PENDING:
        return None
    soon = now + CARD_POSTED_SOON
    return soon if item.attempts == 0 else max(soon, item.next_attempt_at)


@dataclass(frozen=True)
class FollowUpView:
    follow_up_id: int
    kind: str  # email, meeting
    cause: str  # offline, missed, ended
    lead: HotLeadView
    thread: Thread | None  # the live chat's thread, when the wish came from one


def follow_up_view(*, session: Session, follow_up_id: int) -> FollowUpView | None:
    """The follow-up request and its lead; None when it is gone (the lead was erased)."""
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None:
        return None
    thread = None
    if follow_up.live_chat_id is not None:
        chat = rows.get_live_chat(session=session, live_chat_id=follow_up.live_chat_id)
        if chat.slack_channel and chat.slack_ts:
            thread = Thread(channel=chat.slack_channel, ts=chat.slack_ts)
    return FollowUpView(
        follow_up_id=follow_up_id,
        kind=follow_up.kind,
        cause=follow_up.cause,
        lead=hot_lead_view(session=session, lead_id=follow_up.lead_id),
        thread=thread,
    )
