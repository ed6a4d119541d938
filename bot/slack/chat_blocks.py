"""How a qualification chat in a Slack thread looks: the engine's prompts as Block Kit.

Every text the engine returns can hold what a prospect or SDR typed (read-backs, lead names
in questions), so all of it goes through `mrkdwn.safe`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.slack.blocks import Block, actions, button, context, recommendation_blocks, section
from bot.slack.mrkdwn import safe
from dialogs.prompt import Prompt

CHOICE = "chat_choice"  # action ids are "chat_choice:<n>": unique within one actions block
CHOICE_ACTION = re.compile(rf"^{CHOICE}:\d+$")
MAX_BUTTONS = 25  # Slack's limit per actions block
COMMANDS = "Type the answers here as you get them. Commands: back, skip, restart, help."
HELP = (
    "To qualify a lead, write `qualify` and the lead's email or name, for example"
    " `qualify dana@acme.io`. I'll ask the questions one by one in a thread."
)


@dataclass(frozen=True)
class ThreadPost:
    """One message for the thread: the notification text and its blocks."""

    text: str
    blocks: list[Block]


@dataclass(frozen=True)
class ChoiceClick:
    """What a choice button carries: which conversation, at which version, and the answer."""

    conversation_id: int
    version: int
    answer: str


@dataclass(frozen=True)
class LeadLine:
    """The lead as the start of a thread names it."""

    lead_id: int
    name: str
    company: str | None
    stage: str
    score: int


@dataclass(frozen=True)
class OnFile:
    """An answer the lead already has: the question it answers is passed over."""

    dimension: str
    summary: str
    given_by: str


def choice_value(*, conversation_id: int, version: int, answer: str) -> str:
    return json.dumps(
        {"conversation": conversation_id, "version": version, "answer": answer},
        separators=(",", ":"),
    )


def read_choice(value: str) -> ChoiceClick:
    data = json.loads(value)
    return ChoiceClick(
        conversation_id=int(data["conversation"]),
        version=int(data["version"]),
        answer=str(data["answer"]),
    )


def note(text: str) -> ThreadPost:
    """A plain message; `text` must already be escaped where it holds typed input."""
    return ThreadPost(text=text, blocks=[section(text)])


def _notices(prompt: Prompt) -> list[Block]:
    return [context(safe(notice)) for notice in prompt.notices]


def question_blocks(prompt: Prompt) -> list[Block]:
    """The question, its choices as buttons, and how far along the flow is."""
    blocks = [*_notices(prompt), section(safe(prompt.text))]
    if prompt.choices:
        buttons = [
            button(
                choice.label,
                f"{CHOICE}:{index}",
                choice_value(
                    conversation_id=prompt.conversation_id,
                    version=prompt.version,
                    answer=choice.value,
                ),
            )
            for index, choice in enumerate(prompt.choices[:MAX_BUTTONS])
        ]
        blocks.append(actions(*buttons, block_id=f"chat:{prompt.conversation_id}"))
    answered, total = prompt.progress
    if total and not prompt.done:
        blocks.append(context(f"Question {min(answered + 1, total)} of {total}"))
    return blocks


def prompt_post(prompt: Prompt, *, lead_id: int, lead_name: str) -> ThreadPost:
    """A turn's reply; at the end, the recommendation with its handoff / nurture buttons."""
    if prompt.done and prompt.outcome is not None:
        outcome = prompt.outcome
        blocks = _notices(prompt) + recommendation_blocks(
            lead_id=lead_id, lead_name=lead_name, outcome=outcome
        )
        return ThreadPost(text=f"Call logged: recommendation {outcome.action.value}", blocks=blocks)
    return ThreadPost(text=safe(prompt.text), blocks=question_blocks(prompt))


def start_post(prompt: Prompt, *, lead: LeadLine, on_file: Sequence[OnFile]) -> ThreadPost:
    """The first reply: which lead, what is known already, how to answer, the first question."""
    heading = f"Qualifying *{safe(lead.name, 200)}*"
    if lead.company:
        heading += f" at {safe(lead.company, 200)}"
    heading += f" · stage {lead.stage} · score {lead.score}"
    blocks: list[Block] = [section(heading)]
    if on_file:
        lines = "\n".join(
            f"• *{answer.dimension.capitalize()}*: {safe(answer.summary, 300)}"
            f" _({answer.given_by})_"
            for answer in on_file
        )
        blocks.append(section(f"*Already on file* (change these with `/qualify`):\n{lines}"))
    blocks.append(context(COMMANDS))
    if prompt.done:
        reply = prompt_post(prompt, lead_id=lead.lead_id, lead_name=lead.name)
        return ThreadPost(text=reply.text, blocks=blocks + reply.blocks)
    return ThreadPost(text=heading, blocks=blocks + question_blocks(prompt))


def answered(message_blocks: Sequence[dict[str, Any]], label: str) -> list[Block]:
    """A question message after its button was clicked: the buttons give way to the choice."""
    kept = [dict(block) for block in message_blocks if block.get("type") != "actions"]
    return [*kept, context(f"Answered: *{safe(label, 200)}*")]
