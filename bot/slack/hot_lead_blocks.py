"""Block Kit for hot-lead cards in the SDR channel (tested by the payloads they produce).

Everything the prospect typed (name, title, company) and every ledger note goes through
`mrkdwn.safe`, so a name such as `<!channel>` reaches Slack as plain text.
"""

from __future__ import annotations

from datetime import datetime

from bot.slack.blocks import Block, actions, button, context, section
from bot.slack.mrkdwn import safe
from storage.hot_lead_view import HotLeadView
from storage.hot_leads import DEMO_REQUEST, WEBSITE_CHAT

CLAIM = "hot_lead_claim"
CAUSES = {WEBSITE_CHAT: "qualifying website chat", DEMO_REQUEST: "demo request"}


def _who(view: HotLeadView) -> str:
    return safe(view.name or view.email or "Unnamed lead", 200)


def _owner(view: HotLeadView) -> str:
    if view.owner_slack_id:
        return f"<@{safe(view.owner_slack_id, 40)}>"
    return safe(view.owner_name or "someone", 200)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def hot_lead_text(view: HotLeadView) -> str:
    """The notification text of the card (clients may render it as mrkdwn too)."""
    return f"Hot lead: {_who(view)} ({safe(view.company or 'unknown company', 200)})"


def hot_lead_blocks(
    view: HotLeadView, *, dashboard_url: str | None, claimed_at: datetime | None = None
) -> list[Block]:
    """The card: who, why hot, the score's top reasons, a link; Claim while nobody owns the
    lead, then who claimed it (and when, if known) instead of the button."""
    who = f"*{_who(view)}*"
    if view.title:
        who += f", {safe(view.title, 200)}"
    why = "; ".join(CAUSES.get(cause, safe(cause, 100)) for cause in view.causes)
    reasons = "\n".join(f"• {safe(reason, 300)}" for reason in view.top_reasons)
    blocks: list[Block] = [
        section(f":fire: Hot lead: {who} at *{safe(view.company or 'unknown company', 200)}*"),
        section(f"*Why now:* {why or 'website activity'}"),
        section(f"*Score {view.score}*\n{reasons or 'No positive score items yet.'}"),
        context(f"Stage {view.stage}" + (f" · {safe(view.email, 320)}" if view.email else "")),
    ]
    if dashboard_url:
        link = f"{dashboard_url.rstrip('/')}/dashboard/leads/{view.lead_id}"
        blocks.append(context(f"<{link}|Open the lead in Baton>"))
    if view.claimable:
        blocks.append(
            actions(
                button("Claim", CLAIM, str(view.lead_id), "primary"),
                block_id=f"hot_lead:{view.lead_id}",
            )
        )
    elif view.owner_name is not None:
        claimed = f"*Claimed* by {_owner(view)}"
        blocks.append(section(claimed + (f" at {_when(claimed_at)}" if claimed_at else "")))
    else:
        blocks.append(section(f"Not claimable: the lead is {view.stage}."))
    return blocks


def claimed_message(view: HotLeadView, *, claimed: bool, dashboard_url: str | None) -> str:
    """The ephemeral confirmation for the SDR who clicked Claim."""
    name = _who(view)
    text = (
        f"You claimed *{name}*; the lead is yours (stage {view.stage})."
        if claimed
        else f"*{name}* is already yours."
    )
    if dashboard_url:
        text += f" <{dashboard_url.rstrip('/')}/dashboard/leads/{view.lead_id}|Open it in Baton>"
    return text
