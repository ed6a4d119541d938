r"""Text that people typed, made safe to show inside Slack mrkdwn.

Slack reads `<…>` as mentions (`<@U123>`, `<!channel>`) and links (`<https://x|click>`), and `&`
starts an entity. Escaping the three control characters turns all of them into plain text;
bare `@channel`/`@here`/`@everyone` get a zero-width joiner so no client can treat them as one.

Slack has no escape character for its formatting markers, so `*bold*`, `_italic_`, `~strike~`,
`` `code` `` and a line starting with `>` would render as formatting. A zero-width space
(U+200B), which Slack treats as a word break but nobody sees, defuses them:

- a marker (`*`, `_`, `~`, `` ` ``) that is not inside a word (an ASCII letter or digit on both
  sides) gets one on each side that touches text, so it can neither open nor close formatting:
  `*urgent*` → `*\u200burgent\u200b*`; `a * b`, `jane_doe@acme.io` and `merge_requests` stay as
  they are, so emails and identifiers copy cleanly;
- a `>` at the start of a line (sent as `&gt;`) gets one before it, so it is no quote.

Removing the inserted U+200B/U+200D and unescaping the three entities gives back the text.
"""

from __future__ import annotations

import re
import string

ZERO_WIDTH_JOINER = "\u200d"
ZERO_WIDTH_SPACE = "\u200b"
MARKERS = frozenset("*_~`")
SECTION_LIMIT = 3000
ELLIPSIS = "…"

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Only ASCII counts as a word: whether Slack sees other letters as one is not documented, so a
# marker beside them is defused too.
_WORD = frozenset(string.ascii_letters + string.digits)
# Every character that may end a line somewhere (those of `str.splitlines`), not only `\n`.
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")


def _blank(char: str | None) -> bool:
    """The edge of the text, whitespace or a zero-width space: nothing a marker can attach to."""
    return char is None or char.isspace() or char == ZERO_WIDTH_SPACE


def escape(text: str) -> str:
    """Make `text` show exactly as typed in mrkdwn: entities for `&<>`, broken broadcast words,
    and a zero-width space beside every formatting marker Slack could read (module docstring)."""
    breaks = [False] * (len(text) + 1)  # breaks[i]: a zero-width space goes before text[i]
    for i, char in enumerate(text):
        before = text[i - 1] if i else None
        after = text[i + 1] if i + 1 < len(text) else None
        if char in MARKERS:
            if before in _WORD and after in _WORD:
                continue  # inside a word: snake_case, jane_doe@acme.io
            breaks[i] = breaks[i] or not _blank(before)
            breaks[i + 1] = breaks[i + 1] or not _blank(after)
        elif char == ">" and (before is None or before in _LINE_BREAKS):
            breaks[i] = True
    escaped = "".join(
        (ZERO_WIDTH_SPACE if breaks[i] else "") + _ENTITIES.get(char, char)
        for i, char in enumerate(text)
    )
    return _BROADCAST.sub(lambda m: "@" + ZERO_WIDTH_JOINER + m.group(1), escaped)


def truncate(text: str, limit: int = SECTION_LIMIT) -> str:
    """Cut text to Slack's limit for a field, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def safe(text: str, limit: int = SECTION_LIMIT) -> str:
    """Escape, then fit `limit` (counting what escaping adds): the cut falls between characters
    typed, so no entity is split, and the ellipsis is escaped with the text before it, so a
    marker at the cut stays defused."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    # The longest prefix that fits, by bisection: cheap even when escaping adds many characters.
    # (The length is not quite monotone in the prefix, so this finds a long one that fits.)
    fits, too_long = 0, len(text)
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        if len(escape(text[:middle] + ELLIPSIS)) <= limit:
            fits = middle
        else:
            too_long = middle
    return escape(text[:fits] + ELLIPSIS)
