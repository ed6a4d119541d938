"""Prompts and outcomes survive a JSON round trip unchanged (stored replies)."""

from __future__ import annotations

import json

from dialogs.prompt import Outcome, Prompt
from qualification.parsers.result import AnswerKind, Choice
from qualification.stages import Action, Stage


def test_prompt_round_trip() -> None:
    prompt = Prompt(
        conversation_id=7,
        version=3,
        step_id="current_tool",
        text="What do you use today?",
        choices=(Choice("crm", "A CRM", ("salesforce",)), Choice("nothing", "Nothing yet")),
        expects=AnswerKind.CHOICE,
        progress=(4, 9),
        notices=("Your answer was cut.",),
    )
    data = json.loads(json.dumps(prompt.to_json()))
    assert Prompt.from_json(data) == prompt


def test_done_prompt_with_outcome_round_trip() -> None:
    outcome = Outcome(
        action=Action.HANDOFF,
        reasons=("budget confirmed", "decision maker"),
        score=82,
        applied=True,
        stage=Stage.SAL,
        breakdown=(("fit", 30), ("bant", 52)),
    )
    prompt = Prompt(
        conversation_id=1,
        version=9,
        step_id=None,
        text="Thanks!",
        done=True,
        outcome=outcome,
        progress=(8, 8),
    )
    assert Prompt.from_json(json.loads(json.dumps(prompt.to_json()))) == prompt
