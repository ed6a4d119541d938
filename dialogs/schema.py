"""The flow schema: a validated flow, its steps and branches (plain, immutable data)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Template

from dialogs.templates import render_text
from qualification.errors import NotFound
from qualification.parsers.result import AnswerKind, Choice
from qualification.stages import Dimension

END = "end"  # a `next`/`goto` target meaning: the flow is finished
DONE = "done"  # machine state after the last step
HUMAN = "human"  # machine state after "talk to a human"
OUTCOMES = ("handoff", "nurture", "disqualify", "human")

YES_NO_CHOICES = (Choice("yes", "Yes"), Choice("no", "No"))


@dataclass(frozen=True)
class Branch:
    """`when` the named condition holds after the step, go to `goto` (a step id or "end")."""

    when: str
    goto: str
    argument: str | None = None

    def describe(self) -> str:
        return f"{self.when}: {self.argument}" if self.argument is not None else self.when


@dataclass(frozen=True)
class Step:
    """One question of a flow."""

    id: str
    question: str
    kind: AnswerKind
    dimension: Dimension | None = None
    field: str | None = None  # a lead field this step fills (lead capture)
    choices: tuple[Choice, ...] = ()
    reprompt: str | None = None
    help: str | None = None
    retry_cap: int = 2
    skip_if_known: bool = False
    optional: bool = False
    next: str = END
    branches: tuple[Branch, ...] = ()
    line: int | None = None

    def targets(self) -> tuple[str, ...]:
        """Every step id (or "end") this step can lead to, branches first."""
        return (*(b.goto for b in self.branches), self.next)

    @property
    def quick_replies(self) -> tuple[Choice, ...]:
        return YES_NO_CHOICES if self.kind is AnswerKind.YES_NO else self.choices


@dataclass(frozen=True, eq=False)
class Flow:
    """A validated flow. Texts are compiled Jinja2 templates, keyed like "steps.budget.question"."""

    id: str
    version: str
    title: str
    greeting: str
    closing: Mapping[str, str]
    steps: tuple[Step, ...]
    file: str
    templates: Mapping[str, Template] = field(default_factory=dict, repr=False)

    @property
    def first_step(self) -> Step:
        return self.steps[0]

    @property
    def step_ids(self) -> tuple[str, ...]:
        return tuple(step.id for step in self.steps)

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise NotFound(f"flow '{self.id}' has no step '{step_id}'")

    def has_step(self, step_id: str) -> bool:
        return step_id in self.step_ids

    def default_path(self, step_id: str) -> list[str]:
        """The steps from `step_id` to the end following `next` only (for progress)."""
        path: list[str] = []
        current = step_id
        while current != END and self.has_step(current) and current not in path:
            path.append(current)
            current = self.step(current).next
        return path

    def render(
        self, key: str, source: str, *, lead: dict[str, Any], answers: dict[str, str]
    ) -> str:
        """Render the text stored under `key` (falls back to `source` if it cannot render)."""
        template = self.templates.get(key)
        if template is None:
            return source
        return render_text(template, lead=lead, answers=answers, fallback=source)
