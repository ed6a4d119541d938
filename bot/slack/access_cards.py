"""Block Kit for first use: a stranger's Request access button, the managers' card, the welcome.

Names and emails come from Slack profiles, which their owners type: they go through `safe`.
"""

from __future__ import annotations

from typing import Any

from bot.slack.blocks import Block, actions, button, context, section
from bot.slack.mrkdwn import safe
from qualification.stages import Role

REQUEST_ACCESS = "access_request"
ADD_AS_SDR = "access_add_sdr"
ADD_AS_MANAGER = "access_add_manager"
ROLE_OF_ACTION = {ADD_AS_SDR: Role.SDR, ADD_AS_MANAGER: Role.MANAGER}
ROLE_LABEL = {Role.SDR: "SDR", Role.MANAGER: "manager"}


def request_access_button() -> dict[str, Any]:
    return button("Request access", REQUEST_ACCESS, "request", "primary")


def admin_hint(slack_user_id: str) -> str:
    return (
        "An administrator can also run "
        f"`baton user add YOUR_EMAIL --role sdr --slack-id {safe(slack_user_id, 40)}`"
    )


def unknown_user_blocks(slack_user_id: str) -> list[Block]:
    """What a stranger is told when an action was refused because Baton doesn't know them."""
    return [
        section("I don't know you yet, so nothing was changed. Ask the managers to add you:"),
        actions(request_access_button(), block_id="access"),
        context(admin_hint(slack_user_id)),
    ]


def _person(slack_user_id: str, name: str, email: str | None) -> str:
    details = ", ".join(safe(part, 320) for part in (name, email or "no email visible") if part)
    return f"<@{safe(slack_user_id, 40)}> ({details})"


def access_request_text(slack_user_id: str, name: str, email: str | None) -> str:
    return f"{_person(slack_user_id, name, email)} asks to use Baton"


def access_request_blocks(slack_user_id: str, name: str, email: str | None) -> list[Block]:
    """The approval channel's card: who asks, and a button per role (managers only)."""
    value = safe(slack_user_id, 40)
    return [
        section(access_request_text(slack_user_id, name, email)),
        actions(
            button("Add as SDR", ADD_AS_SDR, value, "primary"),
            button("Add as manager", ADD_AS_MANAGER, value),
            block_id=f"access:{value}",
        ),
        context("Only managers can add people."),
    ]


def access_granted_blocks(
    slack_user_id: str,
    name: str,
    email: str,
    *,
    role: Role,
    added_by_slack_id: str | None,
    added_by_name: str,
) -> list[Block]:
    """The card once someone was let in: the buttons give way to who did it."""
    by = f"<@{safe(added_by_slack_id, 40)}>" if added_by_slack_id else safe(added_by_name, 200)
    return [
        section(access_request_text(slack_user_id, name, email)),
        section(f"*Added as {ROLE_LABEL[role]}* by {by}."),
    ]


def welcome_text(role: Role) -> str:
    """The newcomer's DM."""
    if role is Role.MANAGER:
        what = "approve handoffs from the approval channel or your Home tab"
    else:
        what = "log calls with `/qualify` and follow your leads in the Home tab"
    return f"Welcome to Baton! You were added as {ROLE_LABEL[role]}: {what}."
