"""What an SDR should do next with a lead, from its stage, its BANT answers and its handoff."""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from qualification.stages import Dimension, Stage


class NextAction(StrEnum):
    QUALIFY = "qualify"  # an MQL nobody has talked to yet: call and qualify it
    LOG_CALL = "log_call"  # accepted (SAL) but BANT has gaps: log the call's answers
    REQUEST_HANDOFF = "request_handoff"  # accepted with every BANT answer: ask a manager
    AWAIT_APPROVAL = "await_approval"  # a handoff request is waiting for a manager
    NONE = "none"  # not the SDR's move (new, SQL, nurture, disqualified)


def missing_dimensions(answered: Collection[Dimension]) -> tuple[Dimension, ...]:
    """The BANT dimensions without a usable answer, in BANT order."""
    return tuple(d for d in Dimension if d not in answered)


def next_action(
    *, stage: Stage, answered: Collection[Dimension], handoff_pending: bool
) -> NextAction:
    """The SDR's next move. `answered` holds the dimensions with a usable answer (a value, or
    a clear "none"); an "I don't know" leaves the dimension to be asked again."""
    if stage is Stage.MQL:
        return NextAction.QUALIFY
    if stage is not Stage.SAL:
        return NextAction.NONE
    if handoff_pending:
        return NextAction.AWAIT_APPROVAL
    if missing_dimensions(answered):
        return NextAction.LOG_CALL
    return NextAction.REQUEST_HANDOFF
