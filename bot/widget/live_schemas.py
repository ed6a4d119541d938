"""Request and response bodies of the widget's live chat endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from bot.widget.live import LiveView
from bot.widget.schemas import HistoryItem, LiveOut, PromptOut


class TokenRequest(BaseModel):
    token: str = Field(max_length=200)


class FollowUpRequest(BaseModel):
    token: str = Field(max_length=200)
    kind: Literal["email", "meeting"] = Field(description="Email me, or book a meeting")
    email: str | None = Field(
        default=None, max_length=320, description="Needed when no email address is on file."
    )


class MessagesRequest(BaseModel):
    token: str = Field(max_length=200)
    after: int = Field(default=0, ge=0, le=2**31 - 1, description="The last seq the client has.")


class StateOut(BaseModel):
    """The live chat, the bot's prompt and whether the visitor may start a new chat."""

    live: LiveOut | None
    prompt: PromptOut
    can_restart: bool

    @classmethod
    def of(cls, view: LiveView) -> StateOut:
        return cls(
            live=LiveOut.of(view.live),
            prompt=PromptOut.of(view.prompt),
            can_restart=view.can_restart,
        )


class MessagesResponse(StateOut):
    messages: list[HistoryItem] = Field(description="In order; at most 200.")
    more: bool = Field(description="More messages follow: ask again after the last seq.")


class OfflineResponse(BaseModel):
    """Nobody can take a live chat now: say so and offer a follow-up instead."""

    error: str
    detail: str
    offer: str = "followup"
    state: StateOut


class FollowUpRefused(BaseModel):
    """The follow-up needs an email address (none on file, or the one given is not valid)."""

    error: str
    detail: str
    needs_email: bool = True
    state: StateOut
