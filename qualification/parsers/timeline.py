"""Timeline answers: a date window such as "next quarter", "in 6 weeks" or "by March"."""

from __future__ import annotations

import re
from datetime import date, timedelta

from qualification.parsers.periods import (
    Window,
    add_months,
    calendar_window,
    month_window,
    quarter_window,
    weekday_window,
)
from qualification.parsers.result import AnswerKind, ParseResult, ParseStatus, TimelineValue
from qualification.parsers.text import invalid, normalise, result

_NUMBER_WORDS = "one two three four five six seven eight nine ten eleven twelve".split()
_COUNTS = {word: n for n, word in enumerate(_NUMBER_WORDS, start=1)} | {
    "a": 1, "an": 1, "eighteen": 18, "couple": 2, "a couple": 2, "couple of": 2,
    "a couple of": 2, "few": 3, "a few": 3, "several": 4,
}  # fmt: skip
_VAGUE = {"couple", "a couple", "couple of", "a couple of", "few", "a few", "several"}
_COUNT = (
    r"(?P<low>\d{1,3}|a couple of|a couple|couple of|couple|a few|few|several|an?|one|two"
    r"|three|four|five|six|seven|eight|nine|ten|eleven|twelve|eighteen)"
)

_BY = re.compile(r"\b(by|before|until|till|no later than|not later than|at the latest)\b")
_HEDGE = re.compile(
    r"\b(maybe|probably|possibly|hopefully|perhaps|not sure|i think|i guess"
    r"|ideally|might|tentatively)\b"
)
_NONE = re.compile(
    r"\b(never|no plans?|not planning|no timeline|not looking|not interested"
    r"|no intention|not buying|not going to buy|won'?t be buying)\b"
)
_UNKNOWN = re.compile(
    r"(\bno idea\b|\bnot sure\b|\btbd\b|\btbc\b|\bdon'?t know\b|\bdunno\b"
    r"|\bunsure\b|\bdepends\b|\bunknown\b|\bhard to say\b|\bnot decided\b"
    r"|\bundecided\b|\bto be (determined|decided|confirmed)\b|\bwe'?ll see\b"
    r"|\bcan'?t say\b|\bnot yet (known|decided)\b)"
)


def _relative(text: str, today: date) -> Window | None:
    unit = r"(?P<unit>day|week|month|quarter|year)s?"
    found = re.search(
        rf"(?P<lead>\bwithin( the next)?|\bin the next|\bover the next|\bin the"
        rf" coming|\bin less than|\bless than|\binside( of)?|\bunder|\bin)?\s*"
        rf"\b{_COUNT}(\s*(-|to|or)\s*{_COUNT.replace('?P<low>', '?P<high>', 1)})?"
        rf"\s+{unit}\b(?P<tail> from now| time| out)?",
        text,
    )
    if not found:
        return None
    low = _COUNTS.get(found["low"]) or int(found["low"])
    high = _COUNTS.get(found["high"] or "") or int(found["high"] or low)
    low, high = min(low, high), max(low, high)
    if high > 120:
        return None
    if not (found["lead"] or found["tail"] or found["high"]) and found["low"] in ("a", "an"):
        return None  # "a year" alone is not "in a year"

    def ahead(count: int) -> date:
        step = found["unit"]
        if step == "day":
            return today + timedelta(days=count)
        if step == "week":
            return today + timedelta(weeks=count)
        return add_months(today, count * {"month": 1, "quarter": 3, "year": 12}[step])

    label = re.sub(r"\s+", " ", found.group(0).strip())
    confidence = 0.7 if found["low"] in _VAGUE else 0.9
    lead = found["lead"] or ""
    if lead and lead != "in":
        return Window(today, ahead(high), label, confidence)
    return Window(ahead(low), ahead(high), label, confidence)


def _named(text: str, today: date) -> Window | None:
    if re.search(
        r"\b(asap|a\.s\.a\.p|immediately|right away|right now|as soon as possible"
        r"|urgent(ly)?|straight away|yesterday|as soon as we can)\b|^now\b",
        text,
    ):
        return Window(today, today + timedelta(days=30), "ASAP")
    if re.search(
        r"\b(not for a (while|bit)|a while|eventually|some ?day|down the (road|line)"
        r"|long[- ]term|at some point|not anytime soon|not soon)\b",
        text,
    ):
        # Vague but clearly not soon: from about nine months (beyond the usual six-month
        # buying horizon) to two years out; read back because the confidence is low.
        return Window(
            today + timedelta(days=270), today + timedelta(days=730), "not for a while", 0.5
        )
    return None


def parse_timeline(text: str, *, today: date) -> ParseResult[TimelineValue]:
    """When the purchase would happen, as a window of dates counted from `today`."""
    kind = AnswerKind.TIMELINE
    lowered = normalise(text)
    if not lowered:
        return invalid(kind, "no timeline given; something like 'next quarter' works")
    window = None
    for reader in (
        _named,
        quarter_window,
        _relative,
        month_window,
        calendar_window,
        weekday_window,
    ):
        try:
            window = reader(lowered, today)
        except (ValueError, OverflowError):  # dates beyond the calendar: not understood
            window = None
        if window is not None:
            break
    if window is None:
        if _NONE.search(lowered):
            return result(kind, ParseStatus.NONE, None, 0.9, "no plans to buy")
        if _UNKNOWN.search(lowered):
            return result(kind, ParseStatus.UNKNOWN, None, 0.9, "timeline not known yet")
        return invalid(kind, "I could not read a time frame; something like 'next quarter' works")
    start, end = window.start, window.end
    if _BY.search(lowered):
        start = today  # "by March": any time from now until the end of March
    start = max(start, today)
    if end < today:
        return invalid(kind, f"{end.isoformat()} has already passed; when would it be?")
    start = min(start, end)
    confidence = window.confidence - (0.15 if _HEDGE.search(lowered) else 0.0)
    value = TimelineValue(start, end, window.label)
    span = start.isoformat() if start == end else f"{start.isoformat()} to {end.isoformat()}"
    return result(kind, ParseStatus.OK, value, confidence, f"{span} ({window.label})")
