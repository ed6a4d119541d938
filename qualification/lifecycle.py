"""The lead lifecycle: a `transitions` machine over `Stage`, shared by every lead.

The machine is built once. `plan_stage_change` hydrates a plain object with the
lead's current stage, triggers the event on it and returns the resulting move; it
never touches a database. The storage layer applies the move and writes the audit
row in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any

from transitions import Machine, MachineError

from qualification.errors import IllegalStageChange
from qualification.stages import Stage


class StageEvent(StrEnum):
    """Every move a lead can make. The value is the trigger name."""

    MARK_MQL = "mark_mql"  # score crossed the MQL threshold, or marketing handed it over
    ACCEPT = "accept"  # an SDR or a qualifying chat accepts the MQL: SAL
    PROMOTE = "promote"  # an approved handoff request: SAL -> SQL
    RETURN_TO_NURTURE = "return_to_nurture"  # back to marketing, with a reason
    REENGAGE = "reengage"  # a nurtured lead shows interest again: MQL
    DISQUALIFY = "disqualify"  # from any open stage, with a reason


class ActorKind(StrEnum):
    USER = "user"
    SYSTEM = "system"
    PROSPECT = "prospect"
    MARKETING = "marketing"


@dataclass(frozen=True)
class Actor:
    """Who made a change: a Baton user, the prospect, marketing, or the system."""

    kind: ActorKind
    label: str
    user_id: int | None = None

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.label}"

    @classmethod
    def system(cls, label: str = "baton") -> Actor:
        return cls(kind=ActorKind.SYSTEM, label=label)


@dataclass(frozen=True)
class StageMove:
    """A validated move, ready to be applied and audited."""

    event: StageEvent
    from_stage: Stage
    to_stage: Stage
    actor: Actor
    reason: str


@dataclass(frozen=True)
class MoveContext:
    """Facts the guards look at."""

    handoff_approved: bool = False


class _LeadModel:
    """The plain object the shared machine runs on for one trigger."""

    def __init__(self, stage: Stage, context: MoveContext) -> None:
        self.state = stage.value
        self.context = context


def handoff_is_approved(event_data: Any) -> bool:
    """Guard: SAL → SQL only through an approved handoff request."""
    model: _LeadModel = event_data.model
    return model.context.handoff_approved


_OPEN = [Stage.NEW, Stage.MQL, Stage.SAL, Stage.NURTURE]

TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": StageEvent.MARK_MQL.value, "source": [Stage.NEW.value], "dest": Stage.MQL.value},
    {"trigger": StageEvent.ACCEPT.value, "source": [Stage.MQL.value], "dest": Stage.SAL.value},
    {
        "trigger": StageEvent.PROMOTE.value,
        "source": [Stage.SAL.value],
        "dest": Stage.SQL.value,
        "conditions": [handoff_is_approved],
    },
    {
        "trigger": StageEvent.RETURN_TO_NURTURE.value,
        "source": [Stage.MQL.value, Stage.SAL.value],
        "dest": Stage.NURTURE.value,
    },
    {
        "trigger": StageEvent.REENGAGE.value,
        "source": [Stage.NURTURE.value],
        "dest": Stage.MQL.value,
    },
    {
        "trigger": StageEvent.DISQUALIFY.value,
        "source": [s.value for s in _OPEN],
        "dest": Stage.DISQUALIFIED.value,
    },
]

REASON_REQUIRED = {StageEvent.RETURN_TO_NURTURE, StageEvent.DISQUALIFY}


@cache
def lifecycle_machine() -> Machine:
    """The one machine shared by every lead (built on first use)."""
    return Machine(
        model=None,
        states=[s.value for s in Stage],
        transitions=TRANSITIONS,
        initial=Stage.NEW.value,
        auto_transitions=False,
        send_event=True,
    )


def allowed_events(stage: Stage) -> list[StageEvent]:
    """Events that can leave `stage` (ignoring guards)."""
    machine = lifecycle_machine()
    return [
        StageEvent(name)
        for name, event in machine.events.items()
        if stage.value in event.transitions
    ]


# The audit log keeps at most this many characters of a reason (a comment may be longer).
MAX_REASON = 2000


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plan_stage_change(
    *,
    current: Stage,
    event: StageEvent,
    actor: Actor,
    reason: str,
    context: MoveContext | None = None,
) -> StageMove:
    """Validate a move and return it; raise `IllegalStageChange` if it is not allowed."""
    reason = _clip(reason.strip(), MAX_REASON)
    if event in REASON_REQUIRED and not reason:
        raise IllegalStageChange(
            current=current.value, event=event.value, detail="a reason is required"
        )
    model = _LeadModel(current, context or MoveContext())
    machine = lifecycle_machine()
    try:
        moved = machine.events[event.value].trigger(model)
    except MachineError as exc:
        allowed = ", ".join(e.value for e in allowed_events(current)) or "none"
        raise IllegalStageChange(
            current=current.value, event=event.value, detail=f"allowed from here: {allowed}"
        ) from exc
    if not moved:
        raise IllegalStageChange(
            current=current.value,
            event=event.value,
            detail="the handoff request has not been approved by a manager",
        )
    return StageMove(
        event=event,
        from_stage=current,
        to_stage=Stage(model.state),
        actor=actor,
        reason=reason or event.value.replace("_", " "),
    )
