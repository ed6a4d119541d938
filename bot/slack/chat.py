"""Qualifying a lead step by step in a Slack thread: the SDR types, the dialog engine asks.

An SDR writes `qualify <email or name>` to the app (a DM, or a mention in a channel); the
conversation then runs in a thread under that message, one engine turn per reply. It is the
flow the web widget and `baton chat` run, answered as the SDR (a person's answer outranks the
prospect's), and like the /qualify form it only recommends: the outcome is not applied to the
lead, the SDR decides with the Request handoff / Return to nurture buttons.

Every function here runs inside one session from `bot.slack.runner.in_transaction`. A turn's
reply is queued in the outbox in the turn's transaction (bot.slack.chat_replies posts it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack import chat_replies
from bot.slack.access_cards import unknown_user_blocks
from bot.slack.chat_blocks import HELP, ThreadPost, note, prompt_post
from bot.slack.errors import UnknownSlackUser, explain
from bot.slack.mrkdwn import safe
from bot.slack.runner import slack_user
from bot.slack.slack_text import typed_text, without_mention
from dialogs import store
from qualification.errors import BatonError, ConcurrentTurn
from qualification.stages import GivenBy
from storage.lead_lookup import find_lead
from storage.leads import get_lead
from storage.models import Conversation, OutboxItem, SlackThread
from storage.slack_events import claim_slack_event
from storage.slack_threads import record_thread, thread_at, thread_of
from storage.users import get_user_by_slack_id

CHANNEL = "slack"
# A person's edit, deletion or join is not an answer; a reply also sent to the channel is.
_ANSWER_SUBTYPES = (None, "thread_broadcast")
_QUALIFY = re.compile(r"^/?qualify\b[\s:]*(?P<query>.*)$", re.IGNORECASE | re.DOTALL)
TAKEN = (
    "This thread already has a qualification. To qualify another lead, write"
    " `qualify <email or name>` in a new message."
)


class NotYourThread(BatonError):
    """Someone answered a qualification that another SDR runs."""


@dataclass(frozen=True)
class Incoming:
    """A message someone wrote, as the chat needs it."""

    channel: str
    user: str  # Slack user id
    text: str  # as typed (Slack markup undone, the app's mention removed)
    ts: str
    thread_ts: str | None
    key: str  # the message's identity across deliveries: client_msg_id, else channel and ts
    direct: bool  # a DM to the app, or a mention of it

    @property
    def root(self) -> str:
        """The thread the reply goes to: the message's thread, or a new one under it."""
        return self.thread_ts or self.ts

    @property
    def may_concern_us(self) -> bool:
        """False for a channel's top-level chatter, which needs no database look-up."""
        return self.direct or self.thread_ts is not None


def incoming(
    event: dict[str, Any], *, bot_user_id: str | None, mention: bool = False
) -> Incoming | None:
    """The message in a `message` or `app_mention` event; None for what is never an answer
    (bots, including this app, edits, deletions and other subtypes, empty events)."""
    if event.get("bot_id") or event.get("subtype") not in _ANSWER_SUBTYPES:
        return None
    user, channel, ts = event.get("user"), event.get("channel"), event.get("ts")
    if not (isinstance(user, str) and isinstance(channel, str) and isinstance(ts, str)):
        return None
    if bot_user_id and user == bot_user_id:
        return None
    thread_ts = event.get("thread_ts")
    key = event.get("client_msg_id") or f"{channel}:{ts}"
    return Incoming(
        channel=channel,
        user=user,
        text=typed_text(without_mention(str(event.get("text") or ""), bot_user_id)),
        ts=ts,
        thread_ts=thread_ts if isinstance(thread_ts, str) and thread_ts != ts else None,
        key=str(key),
        direct=mention or event.get("channel_type") == "im",
    )


def start_query(text: str) -> str | None:
    """The lead asked for in `qualify <email or name>`; None when the text is something else."""
    match = _QUALIFY.match(text.strip())
    return match.group("query").strip() if match else None


class Route(Enum):
    """Where a message goes."""

    IGNORE = "ignore"
    START = "start"
    ANSWER = "answer"
    HELP = "help"
    TAKEN = "taken"


@dataclass(frozen=True)
class Taken:
    """What is left to do once a message's transaction has committed and Slack has its 200:
    post the queued reply (`reply`, an outbox item), or say `note` in the thread (to its
    author alone when `private`), or nothing."""

    reply: OutboxItem | None = None
    note: ThreadPost | None = None
    private: bool = False


@dataclass(frozen=True)
class Plan:
    """What to do with a message (and, for an answer, the thread it answers)."""

    route: Route
    query: str = ""
    conversation_id: int | None = None
    user_id: int | None = None


def _claim(session: Session, message: Incoming) -> bool:
    """True the first time this message is seen; a re-delivery (even under another event id,
    as when a mention arrives both as `message` and `app_mention`) is dropped."""
    return claim_slack_event(session=session, event_id=f"message:{message.key}", kind="message")


def plan(*, session: Session, message: Incoming) -> Plan:
    """Decide what `message` asks for and claim it. Messages in a conversation's thread are
    answers when its SDR wrote them (others are ignored); a DM or a mention elsewhere starts
    a conversation or gets the help text. Raises UnknownSlackUser for a stranger who asks."""
    thread = thread_at(session=session, channel=message.channel, thread_ts=message.root)
    if thread is not None:
        user = get_user_by_slack_id(session=session, slack_user_id=message.user)
        if user is None or user.id != thread.user_id:
            return Plan(Route.TAKEN if message.direct else Route.IGNORE)
        if message.thread_ts is None:  # the thread's first message, delivered again
            return Plan(Route.IGNORE)
        if not user.active:  # an SDR no longer active is told so (slack_user raises)
            slack_user(session, message.user)
        if not _claim(session, message):
            return Plan(Route.IGNORE)
        if start_query(message.text) is not None:
            return Plan(Route.TAKEN)
        return Plan(Route.ANSWER, conversation_id=thread.conversation_id, user_id=user.id)
    if not message.direct:
        return Plan(Route.IGNORE)
    slack_user(session, message.user)
    if not _claim(session, message):
        return Plan(Route.IGNORE)
    query = start_query(message.text)
    if not query:
        return Plan(Route.HELP)
    return Plan(Route.START, query=query)


def _not_found(query: str) -> ThreadPost:
    shown = safe(query, 200)
    return note(
        f"No single lead matches *{shown}*: there is none, or several have that name (try"
        f" their email). To add the lead, use `/qualify {shown}` and fill in the form."
    )


def start(
    *,
    session: Session,
    runtime: Runtime,
    slack_user_id: str,
    channel: str,
    thread_ts: str,
    query: str,
) -> Taken:
    """Start the lead's qualification in the thread and queue its first question.

    The engine commits the new conversation, the thread's link and the queued question (and
    whatever the caller wrote in this transaction before) together.
    """
    user = slack_user(session, slack_user_id)
    lead = find_lead(session=session, query=query)
    if lead is None or lead.id is None:
        return Taken(note=_not_found(query))
    lead_id = lead.id
    queued: list[OutboxItem] = []

    def opened(tx: Session, conversation: Conversation) -> None:
        assert conversation.id is not None
        record_thread(
            session=tx,
            channel=channel,
            thread_ts=thread_ts,
            conversation_id=conversation.id,
            user_id=user.id or 0,
        )
        queued.append(
            chat_replies.queue(
                session=tx, conversation_id=conversation.id, lead_id=lead_id, turn_id=None
            )
        )

    runtime.dialogs.start(
        session=session,
        lead=lead,
        channel=CHANNEL,
        given_by=GivenBy.SDR,
        user_id=user.id,
        apply_outcome=False,  # as the /qualify form: recommend, the SDR decides
        on_open=opened,
    )
    return Taken(reply=queued[0])


def answer(
    *,
    session: Session,
    runtime: Runtime,
    conversation_id: int,
    user_id: int,
    text: str,
    turn_id: str,
    expected_version: int | None = None,
) -> Taken:
    """Advance the conversation by one answer or command and queue the reply; the engine
    commits both (and whatever the caller wrote in this transaction before) or neither.

    A repeated `turn_id` changes nothing and leaves the reply to the delivery that applied
    it; a reply that changes nothing (the chat has ended, the text was unreadable) is a note.
    """
    turn_id = turn_id[:64]
    conversation = store.load_conversation(session=session, conversation_id=conversation_id)
    queued = chat_replies.queue(
        session=session,
        conversation_id=conversation_id,
        lead_id=conversation.lead_id,
        turn_id=turn_id,
    )
    prompt = runtime.dialogs.advance(
        session=session,
        conversation_id=conversation_id,
        text=text,
        turn_id=turn_id,
        given_by=GivenBy.SDR,
        user_id=user_id,
        expected_version=expected_version,
    )
    if chat_replies.committed(queued):
        return Taken(reply=queued)
    if store.stored_reply(session=session, conversation_id=conversation_id, turn_id=turn_id):
        return Taken()
    lead = get_lead(session=session, lead_id=conversation.lead_id)
    name = lead.name or lead.email or f"lead {lead.id}"
    return Taken(note=prompt_post(prompt, lead_id=conversation.lead_id, lead_name=name))


@dataclass(frozen=True)
class Clicker:
    """The SDR who clicked a choice button, and where their conversation runs."""

    user_id: int
    thread: SlackThread


def clicker(*, session: Session, slack_user_id: str, conversation_id: int) -> Clicker:
    """The clicking SDR if the conversation is theirs (NotYourThread otherwise)."""
    user = slack_user(session, slack_user_id)
    thread = thread_of(session=session, conversation_id=conversation_id)
    if thread is None or thread.user_id != user.id:
        raise NotYourThread("Only the SDR who started this qualification can answer it.")
    return Clicker(user_id=user.id or 0, thread=thread)


def refusal(error: BatonError) -> ThreadPost:
    """A refused message or click, explained in the thread."""
    if isinstance(error, UnknownSlackUser):  # as everywhere: a Request access button too
        return ThreadPost(text=explain(error), blocks=unknown_user_blocks(error.slack_user_id))
    if isinstance(error, ConcurrentTurn | NotYourThread):
        return note(safe(str(error), 2900))
    return note(safe(explain(error), 2900))


def help_post() -> ThreadPost:
    return note(HELP)


def taken_post() -> ThreadPost:
    return note(TAKEN)
