"""Commands typed instead of an answer."""

from __future__ import annotations

import pytest

from dialogs.commands import Command, parse_command


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("back", Command.BACK),
        ("  Go back. ", Command.BACK),
        ("/skip", Command.SKIP),
        ("Start over!", Command.RESTART),
        ("help", Command.HELP),
        ("?", Command.HELP),
        ("HELP?", Command.HELP),
        ("Talk to a human", Command.HUMAN),
        ("please talk to a person", Command.HUMAN),
    ],
)
def test_commands(text: str, command: Command) -> None:
    assert parse_command(text) is command


@pytest.mark.parametrize(
    "text", ["we need help with reporting", "back office automation", "skipping lunch", "", "50k"]
)
def test_answers_that_mention_a_command_word_are_answers(text: str) -> None:
    assert parse_command(text) is None
