"""What the engine hands to a channel after every turn: a `Prompt`, and at the end an `Outcome`.

Both are plain, JSON-round-trippable data. The outbound message of a turn stores the
prompt's JSON, so a repeated client turn id returns exactly the same reply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qualification.parsers.result import AnswerKind, Choice
from qualification.stages import Action, Stage


@dataclass(frozen=True)
class Outcome:
    """The recommendation at the end of a flow and whether it was applied to the lead."""

    action: Action
    reasons: tuple[str, ...]
    score: int
    applied: bool
    stage: Stage
    # Net points per score category ("fit", "behaviour", "bant", "decay") when the flow ended.
    breakdown: tuple[tuple[str, int], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "reasons": list(self.reasons),
            "score": self.score,
            "applied": self.applied,
            "stage": self.stage.value,
            "breakdown": [[category, points] for category, points in self.breakdown],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outcome:
        return cls(
            action=Action(data["action"]),
            reasons=tuple(str(r) for r in data.get("reasons", ())),
            score=int(data["score"]),
            applied=bool(data["applied"]),
            stage=Stage(data["stage"]),
            breakdown=tuple((str(c), int(p)) for c, p in data.get("breakdown", ())),
        )


@dataclass(frozen=True)
class Prompt:
    """One bot reply: the text, quick replies, what kind of answer is expected, and progress."""

    conversation_id: int
    version: int
    step_id: str | None
    text: str
    choices: tuple[Choice, ...] = ()
    expects: AnswerKind | None = None
    progress: tuple[int, int] = (0, 0)  # (answered steps, total steps on the current path)
    done: bool = False
    outcome: Outcome | None = None
    notices: tuple[str, ...] = field(default=())
    # Something the channel may offer beside the question: "live" (talk to someone now) or
    # "followup" (email me / book a meeting); see dialogs.live_desk.
    offer: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "version": self.version,
            "step_id": self.step_id,
            "text": self.text,
            "choices": [
                {"value": c.value, "label": c.label, "synonyms": list(c.synonyms)}
                for c in self.choices
            ],
            "expects": self.expects.value if self.expects else None,
            "progress": list(self.progress),
            "done": self.done,
            "outcome": self.outcome.to_json() if self.outcome else None,
            "notices": list(self.notices),
            "offer": self.offer,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Prompt:
        answered, total = data.get("progress", (0, 0))
        return cls(
            conversation_id=int(data["conversation_id"]),
            version=int(data["version"]),
            step_id=data.get("step_id"),
            text=str(data["text"]),
            choices=tuple(
                Choice(
                    value=str(c["value"]),
                    label=str(c["label"]),
                    synonyms=tuple(str(s) for s in c.get("synonyms", ())),
                )
                for c in data.get("choices", ())
            ),
            expects=AnswerKind(data["expects"]) if data.get("expects") else None,
            progress=(int(answered), int(total)),
            done=bool(data.get("done", False)),
            outcome=Outcome.from_json(data["outcome"]) if data.get("outcome") else None,
            notices=tuple(str(n) for n in data.get("notices", ())),
            offer=str(data["offer"]) if data.get("offer") else None,
        )
