"""Commands a person can type at any step instead of an answer."""

from __future__ import annotations

import re
from enum import StrEnum


class Command(StrEnum):
    BACK = "back"
    SKIP = "skip"
    RESTART = "restart"
    HELP = "help"
    HUMAN = "human"


# Whole-message phrases only, so an answer that merely contains "help" is still an answer.
_PHRASES: dict[Command, tuple[str, ...]] = {
    Command.BACK: ("back", "go back", "previous", "previous question", "undo"),
    Command.SKIP: ("skip", "skip this", "skip it", "pass", "skip question"),
    Command.RESTART: ("restart", "start over", "start again", "reset", "begin again"),
    Command.HELP: ("help", "what do you mean", "i need help"),
    Command.HUMAN: (
        "human",
        "talk to a human",
        "speak to a human",
        "talk to a person",
        "speak to a person",
        "talk to someone",
        "speak to someone",
        "agent",
        "real person",
        "operator",
    ),
}

_LOOKUP = {phrase: command for command, phrases in _PHRASES.items() for phrase in phrases}
_TRIM = re.compile(r"^[\s/!.]+|[\s.!?]+$")


def parse_command(text: str) -> Command | None:
    """The command `text` is, if the whole message is one ("back", "/skip", "Talk to a human!")."""
    if text.strip() == "?":
        return Command.HELP
    normalised = " ".join(_TRIM.sub("", text.casefold()).split())
    if normalised.startswith("please "):
        normalised = normalised.removeprefix("please ")
    return _LOOKUP.get(normalised)


def command_help() -> str:
    """One line listing the commands, appended to a step's help text."""
    return (
        "You can also type: back (previous question), skip, restart, or human (talk to a person)."
    )
