"""Request and response bodies of the widget's public endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from dialogs.live import LiveState
from dialogs.prompt import Prompt

TURN_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,56}$"


class PageContext(BaseModel):
    """What the loader knows about the host page."""

    url: str | None = Field(default=None, max_length=2000)
    referrer: str | None = Field(default=None, max_length=2000)
    title: str | None = Field(default=None, max_length=2000)
    utm_source: str | None = Field(default=None, max_length=500)
    utm_medium: str | None = Field(default=None, max_length=500)
    utm_campaign: str | None = Field(default=None, max_length=500)
    utm_content: str | None = Field(default=None, max_length=500)
    utm_term: str | None = Field(default=None, max_length=500)


class ChoiceOut(BaseModel):
    value: str
    label: str


class PromptOut(BaseModel):
    """One bot reply as the chat frame renders it."""

    conversation_id: int
    version: int
    step_id: str | None
    text: str
    choices: list[ChoiceOut]
    expects: str | None
    progress: tuple[int, int]
    done: bool
    outcome: str | None = Field(description="handoff, nurture, disqualify … when the chat ended")
    notices: list[str]
    offer: str | None = Field(
        default=None,
        description='"live" (talk to someone now) or "followup" (email me / book a meeting)',
    )

    @classmethod
    def of(cls, prompt: Prompt) -> PromptOut:
        return cls(
            conversation_id=prompt.conversation_id,
            version=prompt.version,
            step_id=prompt.step_id,
            text=prompt.text,
            choices=[ChoiceOut(value=c.value, label=c.label) for c in prompt.choices],
            expects=prompt.expects.value if prompt.expects else None,
            progress=prompt.progress,
            done=prompt.done,
            outcome=prompt.outcome.action.value if prompt.outcome else None,
            notices=list(prompt.notices),
            offer=prompt.offer,
        )


class LiveOut(BaseModel):
    """The conversation's latest live chat with a person."""

    id: int
    status: str = Field(description="waiting, live, ended or missed")
    agent: str | None = Field(description="The name of the person who took the chat")

    @classmethod
    def of(cls, state: LiveState | None) -> LiveOut | None:
        return None if state is None else cls(**state.to_json())


class HistoryItem(BaseModel):
    """A message of the conversation: `in` from the visitor; `out` from the bot, from a person
    in a live chat (`sdr`, named by `agent`) or a notice about the live chat (`system`)."""

    seq: int = Field(description="Its place in the conversation (1, 2, …)")
    direction: str
    author: str = Field(description="prospect, bot, sdr or system")
    agent: str | None = None
    text: str
    expects: str | None = None
    notices: list[str] = Field(default_factory=list)
    event: str | None = Field(
        default=None,
        description="For live chat messages: waiting, joined, message, handed_back, ended, "
        "missed or followup",
    )
    offer: str | None = None


class SessionRequest(BaseModel):
    token: str | None = Field(default=None, max_length=200)
    page: PageContext = Field(default_factory=PageContext)
    host_origin: str | None = Field(
        default=None, max_length=300, description="Origin of the page embedding the widget."
    )


class SessionResponse(BaseModel):
    token: str = Field(description="Opaque visitor token; keep it and send it back.")
    history: list[HistoryItem]
    prompt: PromptOut
    can_restart: bool = Field(
        default=False, description="The chat ended and the visitor may start a new one."
    )
    live: LiveOut | None = None
    offer: str | None = Field(
        default=None, description="What to offer now (the latest offer still standing)."
    )


class RestartRequest(BaseModel):
    token: str = Field(max_length=200)


class RestartResponse(SessionResponse):
    restarted: bool = Field(
        description="True when a new conversation began; false when the visitor's chat was "
        "still active and is returned as it is."
    )


class TurnRequest(BaseModel):
    token: str = Field(max_length=200)
    turn_id: str = Field(pattern=TURN_ID_PATTERN, description="Client id; a repeat is a no-op.")
    text: str = Field(max_length=20_000)
    expected_version: int | None = None


class TurnResponse(BaseModel):
    prompt: PromptOut = Field(
        description="The bot's reply; while a live chat is open, its last prompt (no reply)."
    )
    can_restart: bool = Field(
        default=False, description="The chat ended and the visitor may start a new one."
    )
    replied: bool = Field(
        default=True,
        description="False when the message went to the person in a live chat (the bot is "
        "silent meanwhile).",
    )
    live: LiveOut | None = None
    seq: int | None = Field(default=None, description="The seq of the visitor's message.")
    reply_seq: int | None = Field(default=None, description="The seq of the bot's reply.")


class ConflictResponse(BaseModel):
    error: str
    detail: str
    prompt: PromptOut


class ErrorResponse(BaseModel):
    error: str
    detail: str


class WidgetConfigPublic(BaseModel):
    """What the loader needs to draw the launcher."""

    id: str
    greeting: str
    theme: dict[str, Any]
    frame_url: str
    loader_version: str
