"""Clean one incoming answer before anything else looks at it."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

MAX_ANSWER_CHARS = 2_000

NOT_UTF8 = (
    "Sorry, I couldn't read that message (it wasn't valid UTF-8 text). "
    "Could you type your answer again?"
)
EMPTY = "I didn't receive an answer. Could you type a reply?"
CUT = (
    f"Your answer was longer than {MAX_ANSWER_CHARS:,} characters, so I kept the first "
    f"{MAX_ANSWER_CHARS:,}."
)
CONTROL = "I removed some invisible control characters from your answer."


@dataclass(frozen=True)
class Intake:
    """The cleaned text (None when unusable), why it is unusable, and notices to show."""

    text: str | None
    problem: str | None = None
    notices: tuple[str, ...] = ()


def _strip_controls(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cs"))


def clean_input(raw: str | bytes) -> Intake:
    """Decode (strict UTF-8), drop control characters (newlines stay), trim, cap the length."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return Intake(text=None, problem=NOT_UTF8)
    notices: list[str] = []
    cleaned = _strip_controls(raw)
    if cleaned != raw.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "):
        notices.append(CONTROL)
    cleaned = "\n".join(line.strip() for line in cleaned.strip().split("\n"))
    if not cleaned:
        return Intake(text=None, problem=EMPTY, notices=tuple(notices))
    if len(cleaned) > MAX_ANSWER_CHARS:
        cleaned = cleaned[:MAX_ANSWER_CHARS].rstrip()
        notices.append(CUT)
    return Intake(text=cleaned, notices=tuple(notices))
