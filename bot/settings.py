"""Baton's settings, read from the environment (prefix BATON_) and passed in explicitly."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from qualification.business_hours import BusinessHours, BusinessHoursError
from storage.secrets import parse_keys


class Settings(BaseSettings):
    """Everything configurable. Build one with `Settings()` (environment) or keyword arguments."""

    # Errors must not echo what was given: several settings are secrets.
    model_config = SettingsConfigDict(
        env_prefix="BATON_", env_file=None, extra="ignore", hide_input_in_errors=True
    )

    database_url: str = Field(
        default="sqlite:///./baton.db",
        description="SQLAlchemy URL. SQLite file by default; postgresql://… in production.",
    )
    auto_upgrade: bool = Field(
        default=True, description="Upgrade the database schema at start-up if it is behind."
    )
    rules_file: Path | None = Field(
        default=None, description="Scoring rules YAML; the shipped defaults when unset."
    )
    flow_files: list[Path] = Field(
        default_factory=list, description="Extra flow definition files (YAML)."
    )
    default_flow: str | None = Field(
        default=None,
        description="Id of the flow new conversations use; the shipped BANT flow when unset.",
    )
    outbox_worker: bool = Field(
        default=True,
        description="Deliver outbox items (Slack posts, webhooks) from this process.",
    )
    retention_days: int = Field(
        default=730,
        ge=0,
        description=(
            "Delete chat transcripts (conversations and their messages) that ended more than"
            " this many days ago, once a day; answers, score and stage history stay. 0 keeps"
            " them forever."
        ),
    )
    host: str = "127.0.0.1"
    port: int = 8000
    forwarded_allow_ips: str = Field(
        default="127.0.0.1,::1",
        description=(
            "Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto headers are believed"
            " (comma-separated addresses or networks such as 10.0.0.0/8; '*' trusts anyone, so"
            " only behind a proxy that overwrites those headers). Per-address rate limits and"
            " login limits count the address these give."
        ),
    )

    # --- Slack (all optional: without a bot token and signing secret Slack is off) -----
    slack_bot_token: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "slack_bot_token", "SLACK_BOT_TOKEN", "BATON_SLACK_BOT_TOKEN"
        ),
        description="Bot token (xoxb-…) of the Slack app.",
        repr=False,
    )
    slack_signing_secret: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "slack_signing_secret", "SLACK_SIGNING_SECRET", "BATON_SLACK_SIGNING_SECRET"
        ),
        description="Signing secret that Slack signs every request with.",
        repr=False,
    )
    slack_app_token: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "slack_app_token", "SLACK_APP_TOKEN", "BATON_SLACK_APP_TOKEN"
        ),
        description="App-level token (xapp-…) for Socket Mode in local development.",
        repr=False,
    )
    slack_approval_channel: str | None = Field(
        default=None,
        validation_alias=AliasChoices("slack_approval_channel", "BATON_SLACK_APPROVAL_CHANNEL"),
        description="Channel id (C…) where managers approve or reject handoff requests.",
    )
    slack_sdr_channel: str | None = Field(
        default=None,
        validation_alias=AliasChoices("slack_sdr_channel", "BATON_SLACK_SDR_CHANNEL"),
        description="Channel id (C…) where hot leads from the website are posted.",
    )
    slack_reminder_after_minutes: int = Field(
        default=240,
        ge=0,
        validation_alias=AliasChoices(
            "slack_reminder_after_minutes", "BATON_SLACK_REMINDER_AFTER_MINUTES"
        ),
        description=(
            "Re-post a handoff request to the approval channel each time it has waited this"
            " long without a decision (0: never)."
        ),
    )
    slack_api_url: str = Field(
        default="https://slack.com/api/",
        validation_alias=AliasChoices("slack_api_url", "BATON_SLACK_API_URL"),
        description="Base URL of the Slack Web API.",
    )
    live_chat_hours: str = Field(
        default="mon-fri 09:00-17:00",
        validation_alias=AliasChoices("live_chat_hours", "BATON_LIVE_CHAT_HOURS"),
        description=(
            "When SDRs take live chats from the website, e.g. 'mon-fri 09:00-17:30; sat"
            " 10:00-13:00', '24/7' or 'never'. Live chat needs Slack and an SDR channel."
        ),
    )
    live_chat_timezone: str = Field(
        default="UTC",
        validation_alias=AliasChoices("live_chat_timezone", "BATON_LIVE_CHAT_TIMEZONE"),
        description="Time zone of the live chat hours (an IANA name such as Europe/Berlin).",
    )
    live_chat_answer_seconds: int = Field(
        default=120,
        ge=10,
        le=3600,
        validation_alias=AliasChoices("live_chat_answer_seconds", "BATON_LIVE_CHAT_ANSWER_SECONDS"),
        description=(
            "How long a prospect waits for an SDR to take the chat before being told nobody is"
            " free and offered a follow-up."
        ),
    )
    live_poll_seconds: float = Field(
        default=0.5,
        ge=0.05,
        le=10,
        validation_alias=AliasChoices("live_poll_seconds", "BATON_LIVE_POLL_SECONDS"),
        description=(
            "How often each process checks the database for new messages of the widget chats"
            " it streams (one query for all of them)."
        ),
    )
    public_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("public_url", "BATON_PUBLIC_URL"),
        description="Baton's public base URL, for links to the dashboard.",
    )

    secret_key: str | None = Field(
        default=None,
        min_length=32,
        validation_alias=AliasChoices("secret_key", "BATON_SECRET_KEY"),
        description=(
            "Signs dashboard session cookies (at least 32 characters; the same value on every"
            " worker). When unset, each process makes a random one: sessions then end at a"
            " restart and do not carry over between workers."
        ),
        repr=False,
    )

    encryption_key: str | None = Field(
        default=None,
        validation_alias=AliasChoices("encryption_key", "BATON_ENCRYPTION_KEY"),
        description=(
            "Encrypts secrets stored in the database (webhook signing secrets). A Fernet key;"
            " several, comma-separated, rotate it (the first encrypts, any decrypts)."
        ),
        repr=False,
    )
    webhook_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        le=60,
        validation_alias=AliasChoices("webhook_timeout_seconds", "BATON_WEBHOOK_TIMEOUT_SECONDS"),
        description="How long a webhook receiver has to answer before the attempt fails.",
    )
    webhook_allow_private_networks: bool = Field(
        default=False,
        validation_alias=AliasChoices(
            "webhook_allow_private_networks", "BATON_WEBHOOK_ALLOW_PRIVATE_NETWORKS"
        ),
        description="Allow webhooks to private addresses (10/8, 172.16/12, 192.168/16, fc00::/7).",
    )

    @model_validator(mode="after")
    def _valid_live_chat_hours(self) -> Settings:
        try:
            BusinessHours.parse(self.live_chat_hours, timezone=self.live_chat_timezone)
        except BusinessHoursError as exc:
            raise ValueError(f"BATON_LIVE_CHAT_HOURS / BATON_LIVE_CHAT_TIMEZONE: {exc}") from exc
        return self

    @field_validator("encryption_key")
    @classmethod
    def _valid_encryption_key(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None  # an empty variable is the same as an unset one
        parse_keys(value)  # raises, saying what is wrong and how to make a key
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _valid_proxy_addresses(cls, value: str) -> str:
        for item in (part.strip() for part in value.split(",")):
            if item == "*":
                continue
            try:
                ipaddress.ip_network(item)
            except ValueError:
                raise ValueError(
                    f"BATON_FORWARDED_ALLOW_IPS: {item!r} is not an address or network"
                    " (for example 127.0.0.1, 10.0.0.0/8 or *)"
                ) from None
        return value

    @field_validator("secret_key")
    @classmethod
    def _no_placeholder_secret(cls, value: str | None) -> str | None:
        if value is None:
            return None
        squeezed = value.lower().replace("-", "").replace("_", "")
        if len(set(value)) < 8 or "changethis" in squeezed or "changeme" in squeezed:
            raise ValueError(
                "BATON_SECRET_KEY looks like a placeholder; generate one with"
                " `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return value

    @property
    def slack_enabled(self) -> bool:
        """Slack runs only with both a bot token and a signing secret."""
        return bool(self.slack_bot_token and self.slack_signing_secret)

    @property
    def business_hours(self) -> BusinessHours:
        return BusinessHours.parse(self.live_chat_hours, timezone=self.live_chat_timezone)

    @property
    def live_chat_enabled(self) -> bool:
        """Live chat runs through Slack: it needs Slack and a channel to post requests in."""
        return self.slack_enabled and bool(self.slack_sdr_channel)
