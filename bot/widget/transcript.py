"""A conversation's messages as the widget shows them: who said it, in order, with any offer."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from storage.models import Message

LIVE_AUTHORS = ("sdr", "system")


def history_item(message: Message) -> dict[str, Any]:
    """One message for the frame. `in` is always the prospect (the widget's own side); `out` is
    the bot, an SDR in a live chat (`agent`: their name), or a system notice (`event`)."""
    payload = message.payload or {}
    if message.direction == "in":
        author = "prospect"
    else:
        author = message.author if message.author in LIVE_AUTHORS else "bot"
    live = payload.get("live") if author in LIVE_AUTHORS else None
    live = live if isinstance(live, dict) else {}
    is_bot = author == "bot"
    return {
        "seq": message.seq,
        "direction": message.direction,
        "author": author,
        "agent": live.get("agent"),
        "text": message.text,
        "expects": payload.get("expects") if is_bot else None,
        "notices": [str(n) for n in payload.get("notices", ())] if is_bot else [],
        "event": live.get("event"),
        "offer": payload.get("offer") if author != "sdr" else None,
    }


def offer_after(items: Iterable[dict[str, Any]]) -> str | None:
    """What the widget offers after these messages. An offer stands until the prospect says
    something or a live chat notice replaces it (taking the offer, a follow-up recorded); a bot
    message without an offer leaves it standing (a missed chat offers a follow-up beside the
    question the bot asks again)."""
    offer: str | None = None
    for item in items:
        if item["author"] in ("prospect", "system"):
            offer = item["offer"]
        elif item["author"] == "bot" and item["offer"]:
            offer = item["offer"]
    return offer
