"""Every SQLModel table, in one module to avoid import cycles.

Alembic migrations (storage/migrations) are the only way the schema is created;
these classes describe it for queries and for `alembic revision --autogenerate`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from qualification.stages import Dimension, EventKind, GivenBy, HandoffStatus, Role, Stage
from storage.types import EnumText, UTCDateTime

# Named constraints, so later migrations (batch mode on SQLite) can refer to them by name.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- users -------------------------------------------------------------------------


class UserBase(SQLModel):
    email: str = Field(max_length=320, unique=True, index=True)
    name: str = Field(default="", max_length=200)
    slack_user_id: str | None = Field(default=None, max_length=32, unique=True)
    role: Role = Field(default=Role.SDR, sa_type=EnumText(Role, 16))


class User(UserBase, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    password_hash: str | None = Field(default=None, max_length=255)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- leads -------------------------------------------------------------------------


class LeadBase(SQLModel):
    email: str | None = Field(default=None, max_length=320, unique=True, index=True)
    name: str = Field(default="", max_length=200)
    title: str = Field(default="", max_length=200)
    seniority: str | None = Field(default=None, max_length=32)
    company_name: str = Field(default="", max_length=200)
    company_domain: str | None = Field(default=None, max_length=253, index=True)
    industry: str | None = Field(default=None, max_length=100)
    employee_count: int | None = Field(default=None, ge=0)
    annual_revenue: float | None = Field(default=None, ge=0)
    country: str | None = Field(default=None, max_length=2)
    source_campaign: str | None = Field(default=None, max_length=200)
    source_asset: str | None = Field(default=None, max_length=200)
    source_channel: str | None = Field(default=None, max_length=100)


class Lead(LeadBase, table=True):
    __tablename__ = "leads"

    id: int | None = Field(default=None, primary_key=True)
    stage: Stage = Field(default=Stage.NEW, sa_type=EnumText(Stage, 16), index=True)
    owner_id: int | None = Field(default=None, foreign_key="users.id", index=True)
    # Cached sum of this lead's score ledger; kept equal to it in the same transaction.
    score: int = Field(default=0, index=True)
    rules_version: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    last_activity_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LeadCreate(LeadBase):
    pass


class LeadPublic(LeadBase):
    id: int
    stage: Stage
    score: int
    owner_id: int | None
    created_at: datetime
    updated_at: datetime


# --- conversations -----------------------------------------------------------------


class Conversation(SQLModel, table=True):
    __tablename__ = "conversations"

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="leads.id", index=True)
    channel: str = Field(max_length=16)  # cli, web, slack
    flow_id: str = Field(max_length=100)
    flow_version: str = Field(max_length=64)
    state: str = Field(max_length=100)  # the current step id, or a terminal state
    status: str = Field(default="active", max_length=16)  # active, completed, human, abandoned
    # Engine bookkeeping: visited steps (for "back"), retry counts, pending read-back.
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    outcome: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    version: int = Field(default=1)  # optimistic concurrency: bumped by every turn
    started_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Message(SQLModel, table=True):
    """Every inbound and outbound message of a conversation, in order."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_message_seq"),
        UniqueConstraint("conversation_id", "direction", "turn_id", name="uq_message_turn"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    seq: int
    direction: str = Field(max_length=3)  # "in" or "out"
    author: str = Field(max_length=16)  # prospect, sdr, bot, system
    author_user_id: int | None = Field(default=None, foreign_key="users.id")
    text: str
    turn_id: str | None = Field(default=None, max_length=64)
    # For outbound messages: the rendered Prompt, so a repeated turn id returns it as is.
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- answers, events, score ---------------------------------------------------------


class BantAnswer(SQLModel, table=True):
    __tablename__ = "bant_answers"
    __table_args__ = (Index("ix_bant_answers_lead_dimension", "lead_id", "dimension"),)

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="leads.id")
    conversation_id: int | None = Field(default=None, foreign_key="conversations.id")
    dimension: Dimension = Field(sa_type=EnumText(Dimension, 16))
    step_id: str | None = Field(default=None, max_length=100)
    raw_text: str
    parsed: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(max_length=16)  # ok, unknown, none (ParseStatus)
    confidence: float = Field(default=1.0)
    given_by: GivenBy = Field(sa_type=EnumText(GivenBy, 16))
    given_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    superseded: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BehaviourEvent(SQLModel, table=True):
    __tablename__ = "behaviour_events"

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="leads.id", index=True)
    kind: EventKind = Field(sa_type=EnumText(EventKind, 32))
    asset: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=2000)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    idempotency_key: str | None = Field(default=None, max_length=200, unique=True)
    properties: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ScoreEntry(SQLModel, table=True):
    """One line of a lead's score ledger. The score is the sum of these, never stored alone."""

    __tablename__ = "score_entries"

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="leads.id", index=True)
    rule_id: str = Field(max_length=100)
    rules_version: str = Field(max_length=64)
    category: str = Field(max_length=16)  # fit, behaviour, bant, decay
    points: int
    cause_kind: str = Field(max_length=16)  # lead, answer, event, decay
    cause_ref: str | None = Field(default=None, max_length=64)  # "answer:12", "event:5"
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- lifecycle ----------------------------------------------------------------------


class StageChange(SQLModel, table=True):
    """The audit log of stage moves: every change has an actor and a reason."""

    __tablename__ = "stage_changes"

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="leads.id", index=True)
    event: str = Field(max_length=32)
    from_stage: Stage = Field(sa_type=EnumText(Stage, 16))
    to_stage: Stage = Field(sa_type=EnumText(Stage, 16))
    actor: str = Field(max_length=200)
    actor_user_id: int | None = Field(default=None, foreign_key="users.id")
    reason: str = Field(max_length=2000)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class HandoffRequest(SQLModel, table=True):
    __tablename__ = "handoff_requests"
    __table_args__ = (
        # At most one pending request per lead.
        Index(
            "uq_handoff_pending",
            "lead_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="leads.id", index=True)
    requested_by: str = Field(max_length=200)
    requested_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    status: HandoffStatus = Field(
        default=HandoffStatus.PENDING, sa_type=EnumText(HandoffStatus, 16)
    )
    score_at_request: int = Field(default=0)
    decided_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    decided_by: str | None = Field(default=None, max_length=200)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    comment: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- side effects -------------------------------------------------------------------


class OutboxItem(SQLModel, table=True):
    """A side effect that leaves the process, written in the turn's transaction."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)  # webhook, slack_post, ...
    topic: str = Field(max_length=64)  # e.g. lead.stage_changed
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16, index=True)  # pending, done, dead
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    last_error: str | None = Field(default=None, max_length=2000)
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- machine clients and the web widget ----------------------------------------------


class ApiKey(SQLModel, table=True):
    """A key for machine clients. Only a SHA-256 hash of the secret is stored."""

    __tablename__ = "api_keys"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    prefix: str = Field(max_length=16, unique=True)  # shown in listings, e.g. "bk_3f9a2c1d"
    key_hash: str = Field(max_length=64, unique=True)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WidgetBase(SQLModel):
    name: str = Field(default="", max_length=200)
    flow_id: str | None = Field(default=None, max_length=100)
    allowed_origins: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    greeting: str = Field(default="", max_length=2000)
    consent_text: str = Field(default="", max_length=2000)
    # Colours, launcher position, z-index and offsets; validated by the widget service.
    theme: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    active: bool = Field(default=True)


class Widget(WidgetBase, table=True):
    """One embeddable chat widget (a site can have several)."""

    __tablename__ = "widgets"

    id: int | None = Field(default=None, primary_key=True)
    public_id: str = Field(max_length=64, unique=True)  # the id in data-baton-widget
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Visitor(SQLModel, table=True):
    """A website visitor of one widget, known by an opaque server-issued token (stored hashed)."""

    __tablename__ = "visitors"

    id: int | None = Field(default=None, primary_key=True)
    widget_id: int = Field(foreign_key="widgets.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    lead_id: int = Field(foreign_key="leads.id", index=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversations.id")
    page_context: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RateLimitWindow(SQLModel, table=True):
    """Requests counted per key (visitor, IP, API key) and fixed time window, shared by workers."""

    __tablename__ = "rate_limit_windows"

    key: str = Field(max_length=200, primary_key=True)
    window_start: datetime = Field(primary_key=True, sa_type=UTCDateTime)
    count: int = Field(default=0)


# --- Slack ---------------------------------------------------------------------------


class SlackEvent(SQLModel, table=True):
    """A Slack delivery that was applied; the unique id makes a retried delivery a no-op."""

    __tablename__ = "slack_events"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=200, unique=True)  # Events API event_id, or a payload key
    kind: str = Field(max_length=64)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SlackPost(SQLModel, table=True):
    """A message Baton posted about something (a handoff card, a hot lead), so that it can be
    updated when that thing changes. One subject may have several posts (reminders re-post)."""

    __tablename__ = "slack_posts"
    __table_args__ = (
        UniqueConstraint("channel", "ts", name="uq_slack_posts_channel_ts"),
        Index("ix_slack_posts_subject", "subject", "subject_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=32)  # "handoff" (request id) or "hot_lead" (lead id)
    subject_id: int
    channel: str = Field(max_length=64)
    ts: str = Field(max_length=64)
    posted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SlackThread(SQLModel, table=True):
    """A qualification conversation an SDR runs step by step in a DM or a thread."""

    __tablename__ = "slack_threads"
    __table_args__ = (UniqueConstraint("channel", "thread_ts", name="uq_slack_threads_channel_ts"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=64)
    thread_ts: str = Field(max_length=64)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- webhooks ------------------------------------------------------------------------


class WebhookEndpoint(SQLModel, table=True):
    """A receiver of domain events (a CRM or a relay). Its deliveries are outbox items."""

    __tablename__ = "webhook_endpoints"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    # Event names it receives, or ["*"] for every one.
    events: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The signing secret, encrypted with BATON_ENCRYPTION_KEY (storage.secrets).
    secret: str = Field(max_length=1000)
    active: bool = Field(default=True)
    description: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# --- live chat -----------------------------------------------------------------------


class LiveChat(SQLModel, table=True):
    """A prospect's request to talk to a person, and the live chat with the SDR who took it.

    While a live chat is open (`waiting` or `live`) its conversation's status is `human`: the
    bot does not answer. The conversation's messages are the transcript (prospect, sdr, system).
    """

    __tablename__ = "live_chats"
    __table_args__ = (
        # At most one open live chat per conversation.
        Index(
            "uq_live_chats_open",
            "conversation_id",
            unique=True,
            sqlite_where=text("status IN ('waiting', 'live')"),
            postgresql_where=text("status IN ('waiting', 'live')"),
        ),
        Index("ix_live_chats_status_answer_by", "status", "answer_by"),
        Index("ix_live_chats_slack_thread", "slack_channel", "slack_ts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", index=True)
    lead_id: int = Field(foreign_key="leads.id", index=True)
    status: str = Field(default="waiting", max_length=16)  # waiting, live, ended, missed
    owner_user_id: int | None = Field(default=None, foreign_key="users.id")
    requested_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    answer_by: datetime = Field(sa_type=UTCDateTime)  # missed when nobody took it by then
    taken_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # ended, handed_back or missed; who ended it (a user's email, or "timeout").
    end_reason: str | None = Field(default=None, max_length=32)
    ended_by: str | None = Field(default=None, max_length=320)
    # The step the bot resumes at when the chat is handed back (None: the flow had finished).
    resume_step: str | None = Field(default=None, max_length=100)
    source_page: str | None = Field(default=None, max_length=2000)
    # The message seq when the chat opened; prospect messages after it are relayed to Slack.
    start_seq: int = Field(default=0)
    relayed_seq: int = Field(default=0)  # the last prospect message relayed to Slack
    relay_lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    slack_channel: str | None = Field(default=None, max_length=64)
    slack_ts: str | None = Field(default=None, max_length=64)  # the thread's root message


class FollowUp(SQLModel, table=True):
    """A prospect's request to be contacted later (outside hours, or nobody took the chat)."""

    __tablename__ = "follow_ups"

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="leads.id", index=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversations.id")
    live_chat_id: int | None = Field(default=None, foreign_key="live_chats.id")
    kind: str = Field(max_length=16)  # email, meeting
    cause: str = Field(max_length=16)  # offline, missed, ended
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# --- erasures ------------------------------------------------------------------------


class Erasure(SQLModel, table=True):
    """The erasure log: one row per erasure of a person's data (or retention purge), written in
    its transaction. Who, when, on what basis and how many rows of each kind went; never any
    personal data of the person erased."""

    __tablename__ = "erasures"

    id: int | None = Field(default=None, primary_key=True)
    # The tombstone's id (no foreign key: the log outlives any row); None when no lead was on
    # file (an email scrubbed from other records) or for a retention purge of many leads.
    lead_id: int | None = Field(default=None, index=True)
    erased_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=200)  # "system:cli (ops)", "marketing:api key bk_…", …
    basis: str = Field(max_length=32)  # request, retention
    removed: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


# --- dashboard sessions --------------------------------------------------------------


class DashboardSession(SQLModel, table=True):
    """A dashboard login. The cookie carries a random token; only its SHA-256 is kept here, so
    a copy of the database opens no session. Logging out ends the row, so a copied cookie stops
    working at once rather than when its signature expires."""

    __tablename__ = "dashboard_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
