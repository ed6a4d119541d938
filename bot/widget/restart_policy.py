"""When a widget visitor whose chat ended may start a new one, and what they are told if not."""

from __future__ import annotations

from qualification.stages import Stage

IN_TOUCH = (
    "A member of our team is already in touch with you, so there is no need to go through "
    "the questions again."
)
PERSON_COMING = (
    "A person from our team will pick up this conversation here, so there is no need to "
    "start a new one."
)
ANSWERS_ON_FILE = (
    "Thank you for coming back! We already have your answers, so there is no need to go "
    "through the questions again. If anything has changed, our team will be glad to hear "
    "from you."
)

# Stages in which the lead is still with marketing, so another qualification chat is useful.
RESTARTABLE = frozenset({Stage.NEW, Stage.MQL, Stage.NURTURE})


def restart_refusal(*, stage: Stage, status: str) -> str | None:
    """Why a visitor whose chat has `status` and whose lead is at `stage` may not start a new
    chat (a message for the visitor), or None when they may.

    - A chat handed to a person (`human`) stays open for that person to answer in.
    - SAL and SQL leads are with sales (a handoff request pending, approved or rejected): a
      new chat could move them back to nurture or disqualified, cancel the pending request or
      file again one a manager rejected, and would promise a call sales already owns.
    - Disqualified leads cannot move on (the lifecycle has no way out), so a new chat could
      only promise a call or material that would never come.
    - New, MQL and nurtured leads may: the chat starts as any chat does (a nurtured lead
      re-engages and becomes an MQL again), skips what is known and asks the rest.

    An active chat is not refused here: restarting it is a no-op (see `restart_chat`).
    """
    if status == "human":
        return PERSON_COMING
    if stage in (Stage.SAL, Stage.SQL):
        return IN_TOUCH
    if stage not in RESTARTABLE:
        return ANSWERS_ON_FILE
    return None
