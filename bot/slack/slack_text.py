"""The text of a Slack message as the person typed it, with Slack's markup undone.

Slack sends `&`, `<`, `>` as entities and wraps what it recognises in angle brackets: a typed
email arrives as `<mailto:dana@acme.io|dana@acme.io>`, a link as `<https://x.io|x.io>`, a
mention as `<@U123>`. Parsers must see what the person saw when they typed it.
"""

from __future__ import annotations

import re

_MARKUP = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")


def _shown(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    if label:
        return label
    if target.startswith("mailto:"):
        return target.removeprefix("mailto:")
    if target.startswith("!"):  # <!here>, <!channel>, <!subteam^S1>
        return "@" + target[1:].split("^")[0]
    return target  # a bare link, <@U123> or <#C123>


def typed_text(text: str) -> str:
    """What the person typed: links and emails as shown, entities decoded."""
    shown = _MARKUP.sub(_shown, text)
    return shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def without_mention(text: str, user_id: str | None) -> str:
    """`text` (raw Slack markup) without mentions of `user_id` (the app's bot user)."""
    if not user_id:
        return text
    return re.sub(rf"<@{re.escape(user_id)}(?:\|[^>]*)?>", " ", text).strip()
