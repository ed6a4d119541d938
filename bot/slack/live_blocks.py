"""Block Kit for live chats in the SDR channel (tested by the payloads they produce).

The request card (the root of the chat's thread), the owner's controls in the thread, the
relayed prospect messages and the notes. Everything a prospect typed — answers, their name,
the page they were on, their messages — goes through `mrkdwn.safe`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.slack.blocks import Block, actions, button, context, plain, section
from bot.slack.live_view import FollowUpView, LiveChatView, Person
from bot.slack.mrkdwn import safe
from storage.hot_lead_view import HotLeadView
from storage.live_chats import LIVE, MISSED, WAITING

TAKE = "live_take"
RECORD_ANSWERS = "live_record_answers"
REQUEST_HANDOFF = "live_request_handoff"
RETURN_TO_NURTURE = "live_return_to_nurture"
HAND_BACK = "live_hand_back"
END = "live_end"
MESSAGE_LIMIT = 3900  # Slack shows a message's first 4,000 characters


def at(moment: datetime) -> str:
    """A moment in each reader's own time zone (Slack's date token), UTC as the fallback."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def person(who: Person | None, fallback: str = "someone") -> str:
    if who is None:
        return fallback
    if who.slack_id:
        return f"<@{safe(who.slack_id, 40)}>"
    return safe(who.name, 200)


def lead_name(lead: HotLeadView) -> str:
    return safe(lead.name or lead.email or "A website visitor", 200)


def lead_line(lead: HotLeadView) -> str:
    """One line about the lead: who, where, how to reach them, stage and score."""
    line = f"*{lead_name(lead)}*"
    if lead.title:
        line += f", {safe(lead.title, 200)}"
    if lead.company:
        line += f" at *{safe(lead.company, 200)}*"
    if lead.email:
        line += f" · {safe(lead.email, 320)}"
    return line + f" · stage {lead.stage} · score {lead.score}"


def missed_line(view: LiveChatView) -> str:
    return f"Nobody took this chat within {view.wait_text} — the prospect was offered a follow-up."


def status_line(view: LiveChatView) -> str:
    """Where the chat stands, for the card (mrkdwn)."""
    taken = f"*Taken* by {person(view.owner)}" + (
        f" at {at(view.taken_at)}" if view.taken_at else ""
    )
    if view.status == LIVE:
        return ":large_green_circle: " + taken
    if view.status == MISSED:
        return f":warning: *Missed.* {missed_line(view)}"
    when = f" at {at(view.ended_at)}" if view.ended_at else ""
    by = person(view.ended_by)
    if view.end_reason == "handed_back":
        ended = f"*Handed back to the bot* by {by}{when}"
    elif view.end_reason == "ended":
        ended = f"*Ended* by {by}{when}"
    else:
        ended = f"*Closed*{when}"
    return f"{taken}\n{ended}" if view.owner else ended


def card_text(view: LiveChatView) -> str:
    """The notification text of the card."""
    company = safe(view.lead.company or "unknown company", 200)
    state = "waiting for someone" if view.status == WAITING else view.status
    return f"Live chat request: {lead_name(view.lead)} ({company}) — {state}"


def card_blocks(view: LiveChatView, *, dashboard_url: str | None) -> list[Block]:
    """The request: who, their answers so far, the score's reasons, the page they are on; a
    Take it button while it waits, then who took it and how it ended."""
    bant = "\n".join(
        f"• *{line.dimension.capitalize()}*: {safe(line.summary, 300)} _({line.given_by})_"
        for line in view.bant
    )
    reasons = "\n".join(f"• {safe(reason, 300)}" for reason in view.lead.top_reasons)
    since = "Waiting since" if view.status == WAITING else "Asked at"
    where = [f"{since} {at(view.requested_at)}"]
    if view.source_page:
        where.insert(0, f"On {safe(view.source_page, 500)}")
    blocks: list[Block] = [
        section(f":speech_balloon: *Live chat request* from {lead_line(view.lead)}"),
        section(f"*BANT so far*\n{bant or 'No answers yet.'}"),
        section(f"*Score {view.lead.score}*\n{reasons or 'No positive score items yet.'}"),
        context(" · ".join(where)),
    ]
    if dashboard_url:
        link = f"{dashboard_url.rstrip('/')}/dashboard/leads/{view.lead.lead_id}"
        blocks.append(context(f"<{link}|Open the lead in Baton>"))
    if view.status == WAITING:
        blocks.append(
            actions(
                button("Take it", TAKE, str(view.live_chat_id), "primary"),
                block_id=f"live:{view.live_chat_id}",
            )
        )
    else:
        blocks.append(section(status_line(view)))
    return blocks


def _end_chat_button(live_chat_id: int) -> dict[str, Any]:
    element = button("End chat", END, str(live_chat_id), "danger")
    element["confirm"] = {
        "title": plain("End the chat?", 100),
        "text": plain("The prospect is told the chat has ended.", 300),
        "confirm": plain("End chat", 30),
        "deny": plain("Keep talking", 30),
    }
    return element


def controls_text(view: LiveChatView) -> str:
    if view.status == LIVE:
        return f"{person(view.owner)}, you're live with the prospect: reply in this thread."
    return "This chat is over. You can still record answers or move the lead."


def controls_blocks(view: LiveChatView) -> list[Block]:
    """The owner's buttons in the thread; once the chat is over, only those about the lead."""
    value = str(view.live_chat_id)
    about_lead = [
        button("Record BANT answers", RECORD_ANSWERS, value),
        button("Request handoff", REQUEST_HANDOFF, value, "primary"),
        button("Return to nurture", RETURN_TO_NURTURE, value),
    ]
    if view.status != LIVE:
        return [
            section(controls_text(view)),
            actions(*about_lead, block_id=f"live_controls:{value}"),
        ]
    return [
        section(controls_text(view)),
        context(
            "Your replies reach the website chat with your name; the bot stays quiet until"
            " you hand the chat back."
        ),
        actions(
            *about_lead,
            button("Hand back to bot", HAND_BACK, value),
            _end_chat_button(view.live_chat_id),
            block_id=f"live_controls:{value}",
        ),
    ]


def relay_text(text: str) -> str:
    """A prospect's message as the thread shows it."""
    return f"*Prospect:* {safe(text, MESSAGE_LIMIT)}"


def closing_note(view: LiveChatView) -> str:
    """What the thread is told when the chat ends, however it ended."""
    if view.status == MISSED:
        return f":warning: {missed_line(view)}"
    by = person(view.ended_by)
    if view.end_reason == "handed_back":
        then = (
            "the bot carries on with its questions."
            if view.bot_resumes
            else "the conversation is finished."
        )
        return f":robot_face: {by} handed the prospect back to the bot; {then}"
    if view.end_reason == "ended":
        return f":wave: {by} ended the chat. The prospect can start a new one from the website."
    return "The chat was closed."


CAUSES = {
    "missed": "nobody took the live chat in time",
    "offline": "asked outside live chat hours",
    "ended": "after the live chat",
}


def follow_up_text(view: FollowUpView) -> str:
    """Who wants to be contacted, how, and why it came to that."""
    if view.kind == "email":
        wish = f":envelope: *{lead_name(view.lead)}* asked for an email follow-up"
    else:
        wish = f":calendar: *{lead_name(view.lead)}* asked to set up a meeting"
    cause = CAUSES.get(view.cause, safe(view.cause, 50))
    return f"{wish} ({cause}).\n{lead_line(view.lead)}"
