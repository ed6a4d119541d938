"""Text that people typed, made safe to show inside Slack mrkdwn.

Slack reads `<…>` as mentions (`<@U123>`, `<!channel>`) and links (`<https://x|click>`), and `&`
starts an entity. Escaping the three control characters turns all of them into plain text;
bare `@channel`/`@here`/`@everyone` get a zero-width joiner so no client can treat them as one.
"""

from __future__ import annotations

import re

ZERO_WIDTH_JOINER = "\u200d"
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
SECTION_LIMIT = 3000


def escape(text: str) -> str:
    """Escape `&`, `<`, `>` and break broadcast words, so the text shows exactly as typed."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: "@" + ZERO_WIDTH_JOINER + m.group(1), escaped)


def truncate(text: str, limit: int = SECTION_LIMIT) -> str:
    """Cut text to Slack's limit for a field, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def safe(text: str, limit: int = SECTION_LIMIT) -> str:
    """Escape, then truncate without splitting an entity such as `&amp;`."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    cut = escaped[: limit - 1]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + "…"
