"""The engine's bookkeeping for one conversation, kept in `conversation.context` (JSON)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Pending:
    """An answer understood with low confidence, waiting for "yes, that's right"."""

    step_id: str
    result: dict[str, Any]  # serialised ParseResult
    raw_text: str


@dataclass
class DialogState:
    """Visited steps (for "back"), retry counts, a pending read-back, answers to plain steps."""

    history: list[str] = field(default_factory=list)
    retries: dict[str, int] = field(default_factory=dict)
    pending: Pending | None = None
    answers: dict[str, str] = field(default_factory=dict)  # step id -> summary
    captured: list[str] = field(default_factory=list)  # lead fields this conversation filled
    apply_outcome: bool = True
    linked_lead_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "history": list(self.history),
            "retries": dict(self.retries),
            "pending": (
                {
                    "step_id": self.pending.step_id,
                    "result": self.pending.result,
                    "raw_text": self.pending.raw_text,
                }
                if self.pending
                else None
            ),
            "answers": dict(self.answers),
            "captured": list(self.captured),
            "apply_outcome": self.apply_outcome,
            "linked_lead_id": self.linked_lead_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> DialogState:
        data = data or {}
        pending = data.get("pending")
        return cls(
            history=[str(s) for s in data.get("history", [])],
            retries={str(k): int(v) for k, v in data.get("retries", {}).items()},
            pending=Pending(
                step_id=str(pending["step_id"]),
                result=dict(pending["result"]),
                raw_text=str(pending["raw_text"]),
            )
            if pending
            else None,
            answers={str(k): str(v) for k, v in data.get("answers", {}).items()},
            captured=[str(f) for f in data.get("captured", [])],
            apply_outcome=bool(data.get("apply_outcome", True)),
            linked_lead_id=data.get("linked_lead_id"),
        )
