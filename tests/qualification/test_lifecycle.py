"""The lead lifecycle machine: legal moves, guards, reasons, and illegal moves."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualification.errors import IllegalStageChange
from qualification.lifecycle import (
    Actor,
    ActorKind,
    MoveContext,
    StageEvent,
    allowed_events,
    lifecycle_machine,
    plan_stage_change,
)
from qualification.stages import Stage

SDR = Actor(kind=ActorKind.USER, label="sam@example.com", user_id=7)

LEGAL = [
    (Stage.NEW, StageEvent.MARK_MQL, Stage.MQL),
    (Stage.MQL, StageEvent.ACCEPT, Stage.SAL),
    (Stage.SAL, StageEvent.RETURN_TO_NURTURE, Stage.NURTURE),
    (Stage.MQL, StageEvent.RETURN_TO_NURTURE, Stage.NURTURE),
    (Stage.NURTURE, StageEvent.REENGAGE, Stage.MQL),
    (Stage.NEW, StageEvent.DISQUALIFY, Stage.DISQUALIFIED),
    (Stage.MQL, StageEvent.DISQUALIFY, Stage.DISQUALIFIED),
    (Stage.SAL, StageEvent.DISQUALIFY, Stage.DISQUALIFIED),
    (Stage.NURTURE, StageEvent.DISQUALIFY, Stage.DISQUALIFIED),
]


@pytest.mark.parametrize(("current", "event", "expected"), LEGAL)
def test_legal_moves_reach_their_stage(current: Stage, event: StageEvent, expected: Stage) -> None:
    move = plan_stage_change(current=current, event=event, actor=SDR, reason="call notes")
    assert (move.from_stage, move.to_stage) == (current, expected)
    assert move.actor == SDR
    assert move.reason == "call notes"


def test_promotion_needs_an_approved_handoff() -> None:
    with pytest.raises(IllegalStageChange, match="not been approved by a manager"):
        plan_stage_change(current=Stage.SAL, event=StageEvent.PROMOTE, actor=SDR, reason="")
    move = plan_stage_change(
        current=Stage.SAL,
        event=StageEvent.PROMOTE,
        actor=SDR,
        reason="approved",
        context=MoveContext(handoff_approved=True),
    )
    assert move.to_stage is Stage.SQL


@pytest.mark.parametrize("event", [StageEvent.RETURN_TO_NURTURE, StageEvent.DISQUALIFY])
def test_moves_back_or_out_need_a_reason(event: StageEvent) -> None:
    with pytest.raises(IllegalStageChange, match="a reason is required"):
        plan_stage_change(current=Stage.SAL, event=event, actor=SDR, reason="   ")


def test_illegal_move_names_stage_and_allowed_events() -> None:
    with pytest.raises(IllegalStageChange) as info:
        plan_stage_change(current=Stage.NEW, event=StageEvent.PROMOTE, actor=SDR, reason="x")
    message = str(info.value)
    assert "cannot promote a lead in stage 'new'" in message
    assert "mark_mql" in message and "disqualify" in message


@pytest.mark.parametrize("terminal", [Stage.SQL, Stage.DISQUALIFIED])
def test_terminal_stages_allow_nothing(terminal: Stage) -> None:
    assert allowed_events(terminal) == []
    for event in StageEvent:
        with pytest.raises(IllegalStageChange):
            plan_stage_change(
                current=terminal,
                event=event,
                actor=SDR,
                reason="r",
                context=MoveContext(handoff_approved=True),
            )


def test_one_machine_is_shared() -> None:
    assert lifecycle_machine() is lifecycle_machine()
    assert lifecycle_machine().models == []  # no lead object is ever kept on it


@given(
    st.lists(
        st.tuples(st.sampled_from(list(StageEvent)), st.booleans()),
        max_size=30,
    )
)
def test_any_sequence_only_visits_legal_stages(steps: list[tuple[StageEvent, bool]]) -> None:
    stage = Stage.NEW
    for event, approved in steps:
        try:
            move = plan_stage_change(
                current=stage,
                event=event,
                actor=SDR,
                reason="because",
                context=MoveContext(handoff_approved=approved),
            )
        except IllegalStageChange:
            continue
        assert move.from_stage is stage
        assert event in allowed_events(stage)
        if move.to_stage is Stage.SQL:
            assert stage is Stage.SAL and approved
        stage = move.to_stage
    assert stage in set(Stage)
