"""Block Kit payloads, built by small typed functions (tested by the payloads they produce).

Everything a prospect or an SDR typed goes through `mrkdwn.safe` before it reaches mrkdwn.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.slack.mrkdwn import safe, truncate
from dialogs.flow import Step
from dialogs.prompt import Outcome
from storage.handoff_view import HandoffView

Block = dict[str, Any]
VALUE = "value"  # the action_id of every input element
NOTES = "notes"
STEP_PREFIX = "step:"
QUALIFY = "qualify"
CREATE_LEAD = "create_lead"
REJECT = "handoff_reject_submit"
NURTURE = "nurture_submit"
REQUEST_HANDOFF = "request_handoff"
RETURN_TO_NURTURE = "return_to_nurture"
APPROVE = "handoff_approve"
REJECT_BUTTON = "handoff_reject"


def plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit), "emoji": True}


def section(text: str) -> Block:
    """A mrkdwn section; `text` must already be escaped where it holds typed input."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text)}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(text)}]}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, 75),
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def actions(*elements: dict[str, Any], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def text_input(
    block_id: str,
    label: str,
    *,
    initial: str | None = None,
    multiline: bool = False,
    optional: bool = True,
    hint: str | None = None,
) -> Block:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": VALUE}
    if multiline:
        element["multiline"] = True
    if initial:
        element["initial_value"] = truncate(initial, 3000)
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": plain(label, 2000),
        "element": element,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def select_input(
    block_id: str,
    label: str,
    options: Sequence[tuple[str, str]],
    *,
    initial: str | None = None,
    hint: str | None = None,
) -> Block:
    """A static_select of (value, label) options; `initial` is a value."""
    rendered = [{"text": plain(text, 75), "value": value} for value, text in options]
    element: dict[str, Any] = {"type": "static_select", "action_id": VALUE, "options": rendered}
    chosen = [o for o in rendered if o["value"] == initial]
    if chosen:
        element["initial_option"] = chosen[0]
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": plain(label, 2000),
        "element": element,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def modal(
    callback_id: str, title: str, blocks: list[Block], *, submit: str, metadata: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, 24),
        "submit": plain(submit, 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "blocks": blocks,
    }


@dataclass(frozen=True)
class Known:
    """An answer already stored for a question: the text and who gave it."""

    raw_text: str
    given_by: str
    value: str | None = None  # the parsed value of a choice answer


def question_block(step: Step, question: str, known: Known | None) -> Block:
    """The modal input for one BANT step; a prospect's own answer is marked as theirs."""
    label = (step.dimension.value if step.dimension else step.id).capitalize()
    if known is not None and known.given_by == "prospect":
        label += " (prospect said)"
    block_id = STEP_PREFIX + step.id
    if step.quick_replies:
        options = [(c.value, c.label) for c in step.quick_replies]
        return select_input(
            block_id, label, options, initial=known.value if known else None, hint=question
        )
    return text_input(
        block_id,
        label,
        initial=known.raw_text if known else None,
        multiline=step.kind.value == "need",
        hint=question,
    )


def qualify_modal(
    *,
    lead_id: int,
    heading: str,
    steps: Sequence[tuple[Step, str, Known | None]],
    notes: str = "",
) -> dict[str, Any]:
    """The call-logging modal: one input per BANT step (prefilled) plus free notes."""
    blocks: list[Block] = [section(heading)]
    blocks += [question_block(step, question, known) for step, question, known in steps]
    blocks.append(text_input(NOTES, "Call notes", initial=notes or None, multiline=True))
    return modal(QUALIFY, "Log a call", blocks, submit="Save", metadata={"lead_id": lead_id})


def create_lead_modal(*, email: str | None, name: str | None) -> dict[str, Any]:
    """Asks for a new lead's basics when /qualify finds nobody."""
    blocks = [
        section("No lead matches. Add the basics and the call form opens next."),
        text_input("email", "Work email", initial=email, optional=False),
        text_input("name", "Name", initial=name),
        text_input("company", "Company"),
    ]
    return modal(CREATE_LEAD, "New lead", blocks, submit="Next", metadata={})


def reject_modal(*, request_id: int, channel: str, ts: str) -> dict[str, Any]:
    blocks = [
        text_input("comment", "Why is this handoff rejected?", multiline=True, optional=False)
    ]
    metadata = {"request_id": request_id, "channel": channel, "ts": ts}
    return modal(REJECT, "Reject handoff", blocks, submit="Reject", metadata=metadata)


def nurture_modal(*, lead_id: int) -> dict[str, Any]:
    blocks = [
        text_input("reason", "Reason for marketing", multiline=True, optional=False),
    ]
    metadata = {"lead_id": lead_id}
    return modal(NURTURE, "Return to nurture", blocks, submit="Return", metadata=metadata)


def recommendation_blocks(*, lead_id: int, lead_name: str, outcome: Outcome) -> list[Block]:
    """The SDR's result after logging a call: the recommendation, breakdown and next steps."""
    breakdown = ", ".join(f"{category} {points:+d}" for category, points in outcome.breakdown)
    reasons = "\n".join(f"• {safe(reason, 500)}" for reason in outcome.reasons)
    return [
        section(
            f"*{safe(lead_name, 200)}*: recommendation *{outcome.action.value}*"
            f" (score {outcome.score}, stage {outcome.stage.value})"
        ),
        section(f"*Score breakdown:* {breakdown or 'no points yet'}"),
        section(reasons or "No reasons recorded."),
        actions(
            button("Request handoff", REQUEST_HANDOFF, str(lead_id), "primary"),
            button("Return to nurture", RETURN_TO_NURTURE, str(lead_id)),
            block_id=f"lead:{lead_id}",
        ),
    ]


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "an earlier time"


def approval_blocks(
    view: HandoffView, *, dashboard_url: str | None, reminder: str | None = None
) -> list[Block]:
    """The approval channel's card; buttons while pending, the decision once made.

    `reminder` (mrkdwn, already escaped) heads a re-posted card while it is still pending.
    """
    who = f"*{safe(view.lead_name or 'Unnamed lead', 200)}*"
    if view.lead_email:
        who += f" ({safe(view.lead_email, 320)})"
    bant = "\n".join(
        f"• *{line.dimension.capitalize()}*: {safe(line.summary, 300)} _({line.given_by})_"
        for line in view.bant
    )
    reasons = "\n".join(f"• {safe(reason, 300)}" for reason in view.top_reasons)
    sdr = f"<@{view.requester_slack_id}>" if view.requester_slack_id else safe(view.requested_by)
    blocks: list[Block] = [context(reminder)] if reminder and view.status == "pending" else []
    blocks += [
        section(f"Handoff request for {who} at *{safe(view.company or 'unknown company', 200)}*"),
        section(f"*BANT*\n{bant or 'No answers yet.'}"),
        section(f"*Score {view.score}*\n{reasons or 'No positive score items.'}"),
        context(f"Requested by {sdr} · stage {view.stage}"),
    ]
    if dashboard_url:
        link = f"{dashboard_url.rstrip('/')}/dashboard/leads/{view.lead_id}"
        blocks.append(context(f"<{link}|Open the lead in Baton>"))
    if view.status == "pending":
        value = str(view.request_id)
        blocks.append(
            actions(
                button("Approve", APPROVE, value, "primary"),
                button("Reject", REJECT_BUTTON, value, "danger"),
                block_id=f"handoff:{view.request_id}",
            )
        )
    else:
        decided = f"*{view.status.capitalize()}* by {safe(view.decided_by or 'someone', 200)}"
        decided += f" at {_when(view.decided_at)}"
        if view.comment:
            decided += f": {safe(view.comment, 1000)}"
        blocks.append(section(decided))
    return blocks


def approval_text(view: HandoffView, *, reminder: str | None = None) -> str:
    """The notification text of the approval card (clients may render it as mrkdwn too)."""
    text = f"Handoff request: {safe(view.lead_name or 'a lead', 200)} ({view.status})"
    return f"{reminder} {text}" if reminder and view.status == "pending" else text


def decision_dm(view: HandoffView) -> str:
    """What the SDR is told when a manager decides."""
    text = (
        f"Your handoff request for *{safe(view.lead_name or 'a lead', 200)}* was *{view.status}*"
        f" by {safe(view.decided_by or 'a manager', 200)}."
    )
    return text + (f"\n> {safe(view.comment, 1000)}" if view.comment else "")
