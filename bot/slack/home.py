"""The App Home tab: an SDR's leads with their next actions; a manager's approvals and funnel.

Built from `storage.home.Home` by small functions, tested by the view they produce. Times are
Slack date tokens, so each reader sees them in their own time zone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.slack.access_cards import admin_hint, request_access_button
from bot.slack.blocks import (
    APPROVE,
    REJECT_BUTTON,
    REQUEST_HANDOFF,
    Block,
    actions,
    button,
    context,
    plain,
    section,
)
from bot.slack.hot_lead_blocks import CLAIM
from bot.slack.mrkdwn import safe
from qualification.next_action import NextAction
from qualification.stages import Stage
from storage.funnel import FunnelWeek
from storage.home import Home, LeadLine, ManagerBoard, PendingLine

CALL_FORM = "home_call_form"  # Qualify / Log the call: opens the call form of the lead
MAX_BLOCKS = 100  # Slack's limit for a Home view
STAGE_NAMES = {
    Stage.MQL: "MQL",
    Stage.SAL: "SAL",
    Stage.SQL: "SQL",
    Stage.NURTURE: "nurture",
    Stage.DISQUALIFIED: "disqualified",
}

View = dict[str, Any]


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, 150)}


def divider() -> Block:
    return {"type": "divider"}


def slack_date(moment: datetime) -> str:
    """A date Slack shows in the reader's time zone (UTC text where it cannot)."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def age(delta: timedelta) -> str:
    """A short duration: `45 min`, `5 h`, `3 d 4 h`."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 24:
        return f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _lead_title(line: LeadLine) -> str:
    title = f"*{safe(line.name, 200)}*"
    if line.company:
        title += f" · {safe(line.company, 200)}"
    return f"{title} · score {line.score}"


def _next(line: LeadLine) -> tuple[str, dict[str, Any] | None]:
    """The next-action text of an open lead and the button that does it."""
    value = str(line.lead_id)
    if line.action is NextAction.QUALIFY:
        return "Next: qualify it on a call", button("Qualify", CALL_FORM, value)
    if line.action is NextAction.LOG_CALL:
        gaps = ", ".join(d.value for d in line.missing)
        return f"Next: log the call (missing {gaps})", button("Log the call", CALL_FORM, value)
    if line.action is NextAction.REQUEST_HANDOFF:
        text = "Next: BANT is complete, request the handoff"
        return text, button("Request handoff", REQUEST_HANDOFF, value, "primary")
    if line.action is NextAction.AWAIT_APPROVAL and line.waiting_since is not None:
        return f"Waiting for approval since {slack_date(line.waiting_since)}", None
    return "Nothing to do", None


def lead_block(line: LeadLine) -> Block:
    text, element = _next(line)
    block = section(f"{_lead_title(line)}\n{text}")
    if element is not None:
        block["accessory"] = element
    return block


def _claim_block(line: LeadLine) -> Block:
    block = section(f"{_lead_title(line)}\nNobody owns it yet")
    block["accessory"] = button("Claim", CLAIM, str(line.lead_id))
    return block


def lead_blocks(home: Home) -> list[Block]:
    """The user's open leads by stage, their recent moves, and hot leads nobody owns."""
    blocks: list[Block] = [header("Your leads")]
    for stage in (Stage.SAL, Stage.MQL):
        lines = home.by_stage(stage)
        if lines:
            blocks.append(context(f"*{STAGE_NAMES[stage]}* · {len(lines)}"))
            blocks += [lead_block(line) for line in lines]
    if not home.leads:
        blocks.append(section("No open leads. Claim one below, or log a call with `/qualify`."))
    if home.recent:
        moves = "\n".join(
            f"• *{safe(line.name, 200)}* → {STAGE_NAMES[line.stage]}"
            + (f" {slack_date(line.moved_at)}" if line.moved_at else "")
            for line in home.recent
        )
        blocks.append(section(f"*Recently moved*\n{moves}"))
    if home.claimable:
        blocks += [divider(), header("Hot leads nobody owns")]
        blocks += [_claim_block(line) for line in home.claimable]
    return blocks


def pending_blocks(line: PendingLine, now: datetime) -> list[Block]:
    who = f"<@{safe(line.requester_slack_id, 40)}>" if line.requester_slack_id else None
    title = f"*{safe(line.lead_name, 200)}*"
    if line.company:
        title += f" · {safe(line.company, 200)}"
    value = str(line.request_id)
    return [
        section(
            f"{title} · score {line.score}\n"
            f"Requested by {who or safe(line.requested_by, 200)}"
            f" · waiting {age(now - line.requested_at)}"
        ),
        actions(
            button("Approve", APPROVE, value, "primary"),
            button("Reject", REJECT_BUTTON, value, "danger"),
            block_id=f"handoff:{line.request_id}",
        ),
    ]


def _ratio(week: FunnelWeek) -> str:
    if week.conversion is None:
        return "none decided"
    return f"{week.conversion:.0%} of {week.sal_decided}"


def _median(week: FunnelWeek) -> str:
    return age(week.median_sal_to_sql) if week.median_sal_to_sql is not None else "–"


def funnel_blocks(this_week: FunnelWeek, last_week: FunnelWeek) -> list[Block]:
    """Leads that entered each stage this ISO week, beside the whole of last week."""
    fields = [
        f"*Entered {STAGE_NAMES[stage]}*\n{count} (last week {last_week.entered[stage]})"
        for stage, count in this_week.entered.items()
    ]
    fields.append(f"*SAL → SQL*\n{_ratio(this_week)} (last week {_ratio(last_week)})")
    fields.append(f"*Median SAL → SQL*\n{_median(this_week)} (last week {_median(last_week)})")
    return [
        header("This week's funnel"),
        context(f"Since {slack_date(this_week.start)}, beside the whole of last week"),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
    ]


def board_blocks(board: ManagerBoard, now: datetime) -> list[Block]:
    blocks: list[Block] = [header(f"Pending approvals ({board.pending_total})")]
    for line in board.pending:
        blocks += pending_blocks(line, now)
    if not board.pending:
        blocks.append(section("Nothing waiting."))
    elif board.pending_total > len(board.pending):
        blocks.append(context(f"…and {board.pending_total - len(board.pending)} more, newer."))
    return blocks + [divider(), *funnel_blocks(board.this_week, board.last_week)]


def home_view(home: Home) -> View:
    """The Home of a Baton user: managers see the board first, and their own leads if any."""
    blocks: list[Block] = []
    if home.board is not None:
        blocks += board_blocks(home.board, home.now)
        if home.leads or home.recent:
            blocks += [divider(), *lead_blocks(home)]
    else:
        blocks += lead_blocks(home)
    blocks.append(context(f"Updated {slack_date(home.now)}"))
    if len(blocks) > MAX_BLOCKS:
        blocks = blocks[: MAX_BLOCKS - 1] + [context("More in the dashboard.")]
    return {"type": "home", "blocks": blocks}


def unknown_home(slack_user_id: str, *, requested: bool = False) -> View:
    """The Home of a Slack user Baton doesn't know: ask the managers for access."""
    if requested:
        ask: list[Block] = [
            section(
                "Your request was sent to the managers. You'll get a message here once they add"
                " you."
            )
        ]
    else:
        ask = [
            section("Baton doesn't know you yet. Ask the managers to add you:"),
            actions(request_access_button(), block_id="access"),
        ]
    return {
        "type": "home",
        "blocks": [header("Welcome to Baton"), *ask, context(admin_hint(slack_user_id))],
    }
