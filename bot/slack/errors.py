"""Domain errors as Slack users read them (the one mapping for the Slack channel)."""

from __future__ import annotations

from bot.slack.mrkdwn import safe
from dialogs.live import ChatAlreadyTaken, ChatNotOpen
from qualification.errors import (
    AlreadyClaimed,
    AlreadyExists,
    BatonError,
    HandoffAlreadyDecided,
    IllegalStageChange,
    InvalidInput,
    NotFound,
    PermissionDenied,
)


class UnknownSlackUser(BatonError):
    """A Slack account that is not linked to a Baton user (`linkable`: some active user has
    no Slack account yet, so the account may be theirs: bot.slack.linking)."""

    def __init__(self, slack_user_id: str, *, linkable: bool = False) -> None:
        self.slack_user_id = slack_user_id
        self.linkable = linkable
        super().__init__(f"Slack user {slack_user_id} is not a Baton user")


def explain(error: BatonError) -> str:
    """The ephemeral message a person sees when their action was refused."""
    if isinstance(error, UnknownSlackUser):
        return (
            "I don't know you yet. Ask an administrator to add you to Baton:\n"
            f"`baton user add YOUR_EMAIL --role sdr --slack-id {error.slack_user_id}`"
            " (use `--role manager` for managers)."
        )
    if isinstance(error, HandoffAlreadyDecided):
        return (
            f"This handoff was already {error.status} by {error.decided_by} at {error.decided_at};"
            " your decision was not applied."
        )
    if isinstance(error, AlreadyClaimed):
        return f"{safe(error.owner, 200)} already claimed this lead; nothing was changed."
    if isinstance(error, ChatAlreadyTaken):
        return f"{safe(error.owner, 200)} has already taken this chat; nothing was changed."
    if isinstance(error, ChatNotOpen):
        return f"{safe(str(error), 500)} Nothing was changed."
    if isinstance(error, PermissionDenied):
        return f"Only managers can do that; nothing was changed. ({error})"
    if isinstance(error, IllegalStageChange | NotFound | InvalidInput | AlreadyExists):
        return f"That didn't work: {error}. Nothing was changed."
    return f"Something went wrong: {error}"
