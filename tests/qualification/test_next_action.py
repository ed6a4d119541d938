"""The SDR's next action on a lead."""

from __future__ import annotations

import pytest

from qualification.next_action import NextAction, missing_dimensions, next_action
from qualification.stages import Dimension, Stage

ALL = set(Dimension)


@pytest.mark.parametrize(
    ("stage", "answered", "pending", "expected"),
    [
        (Stage.MQL, set(), False, NextAction.QUALIFY),
        (Stage.MQL, ALL, False, NextAction.QUALIFY),
        (Stage.SAL, {Dimension.BUDGET}, False, NextAction.LOG_CALL),
        (Stage.SAL, ALL, False, NextAction.REQUEST_HANDOFF),
        (Stage.SAL, ALL, True, NextAction.AWAIT_APPROVAL),
        (Stage.SAL, set(), True, NextAction.AWAIT_APPROVAL),
        (Stage.SQL, ALL, False, NextAction.NONE),
        (Stage.NURTURE, set(), False, NextAction.NONE),
        (Stage.NEW, set(), False, NextAction.NONE),
        (Stage.DISQUALIFIED, set(), False, NextAction.NONE),
    ],
)
def test_next_action(
    stage: Stage, answered: set[Dimension], pending: bool, expected: NextAction
) -> None:
    assert next_action(stage=stage, answered=answered, handoff_pending=pending) is expected


def test_missing_dimensions_keep_bant_order() -> None:
    assert missing_dimensions({Dimension.AUTHORITY}) == (
        Dimension.BUDGET,
        Dimension.NEED,
        Dimension.TIMELINE,
    )
    assert missing_dimensions(ALL) == ()
