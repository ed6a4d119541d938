"""Date windows for named calendar periods: quarters, halves, weeks, months, seasons, years.

Each reader returns the window the words name, counted from `today`: a period with no year is
this year's while it lasts and next year's once it is over ("Q3" in November is next July).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            "jan january",
            "feb february",
            "mar march",
            "apr april",
            "may",
            "jun june",
            "jul july",
            "aug august",
            "sep sept september",
            "oct october",
            "nov november",
            "dec december",
        ),
        start=1,
    )
    for name in names.split()
}
_MONTH = (
    r"(?P<month>january|february|march|april|may|june|july|august|september|october|november"
    r"|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
)
_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "last": 4,
}
_YEAR = r"(?:\s(?:of\s)?(?P<year>this year|next year|20\d\d|'\d\d))?"


@dataclass(frozen=True)
class Window:
    """A window a phrase names, before "by ..." and today's date are applied."""

    start: date
    end: date
    label: str
    confidence: float = 0.9


def add_months(day: date, months: int) -> date:
    """The same day `months` later, moved back to the month's last day when it has fewer."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    year = min(max(year, 1), 9999)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def month_end(year: int, month: int) -> date:
    """The last day of the month."""
    return date(year, month, calendar.monthrange(year, month)[1])


def _year_of(found: str | None, today: date) -> int | None:
    if not found or found == "this year":
        return None
    if found == "next year":
        return today.year + 1
    return 2000 + int(found[1:]) if found.startswith("'") else int(found)


def _span(
    today: date, first: date, last: date, label: str, year: int | None
) -> tuple[date, date, str]:
    """A calendar span in the given year, or this year's, or next year's once it is over."""
    if year is None and last < today:
        first, last = add_months(first, 12), month_end(first.year + 1, last.month)
    if first.year != today.year:
        label = f"{label} {first.year}"
    return first, last, label


def _next_year(day: date) -> date:
    return add_months(day, 12)


def quarter_window(text: str, today: date) -> Window | None:
    """This or next quarter, Q1-Q4 and H1/H2, optionally with a year."""
    quarter_now = (today.month - 1) // 3 + 1
    if re.search(r"\b(this |current |the current |end of (the |this )?)quarter\b|\beoq\b", text):
        first = date(today.year, 3 * quarter_now - 2, 1)
        last = month_end(today.year, 3 * quarter_now)
        return Window(first, last, f"Q{quarter_now}, this quarter")
    if re.search(r"\bnext quarter\b", text):
        first = add_months(date(today.year, 3 * quarter_now - 2, 1), 3)
        last = add_months(first, 3) - timedelta(days=1)
        return Window(first, last, f"Q{(first.month - 1) // 3 + 1}, next quarter")
    found = re.search(
        rf"\b(q(?P<q>[1-4])|(?P<o>first|second|third|fourth|last|1st|2nd|3rd|4th)"
        rf" quarter){_YEAR}\b",
        text,
    )
    if found:
        quarter = int(found["q"]) if found["q"] else _ORDINALS[found["o"]]
        year = _year_of(found["year"], today)
        first = date(year or today.year, 3 * quarter - 2, 1)
        span = _span(today, first, month_end(first.year, 3 * quarter), f"Q{quarter}", year)
        return Window(*span)
    found = re.search(rf"\b(h(?P<h>[12])|(?P<o>first|second|1st|2nd) half){_YEAR}\b", text)
    if found:
        half = int(found["h"]) if found["h"] else _ORDINALS[found["o"]]
        year = _year_of(found["year"], today)
        first = date(year or today.year, 6 * half - 5, 1)
        return Window(*_span(today, first, month_end(first.year, 6 * half), f"H{half}", year))
    return None


def calendar_window(text: str, today: date) -> Window | None:
    """Weeks, months, seasons and years named in the answer."""
    text = re.sub(r"\b(eoy|year[- ]end|end of year)\b", "end of the year", text)
    if re.search(r"\b(this week|end of (the |this )?week)\b", text):
        return Window(today, today + timedelta(days=6 - today.weekday()), "this week")
    if re.search(r"\bnext week\b", text):
        first = today + timedelta(days=7 - today.weekday())
        return Window(first, first + timedelta(days=6), "next week")
    if re.search(r"\b(this month|end of (the |this )?month|eom)\b", text):
        return Window(today, month_end(today.year, today.month), "this month")
    if re.search(r"\bnext month\b", text):
        first = add_months(date(today.year, today.month, 1), 1)
        return Window(first, month_end(first.year, first.month), "next month")
    found = re.search(
        r"\b(?P<part>early|mid|middle of|late|end of|start of|beginning of)?[- ]?"
        r"(?P<which>this|next|the) (?P<season>spring|summer|fall|autumn|winter)\b"
        r"|\b(?P<part2>early|mid|late|end of)?[- ]?(?P<which2>this|next|the)? ?"
        r"(?P<year>year|20\d\d)\b",
        text,
    )
    if found and found["season"]:
        start_month = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}
        month = start_month[found["season"]]
        first = date(today.year, month, 1)
        last = add_months(first, 3) - timedelta(days=1)
        if found["which"] == "next" or last < today:
            first, last = _next_year(first), add_months(_next_year(first), 3) - timedelta(days=1)
        return Window(first, last, f"{found['which']} {found['season']}", 0.8)
    if found and (
        found["year"] != "year" or found["which2"] in ("this", "next") or found["part2"] == "end of"
    ):
        if found["year"] == "year":
            year = today.year + (1 if found["which2"] == "next" else 0)
            label = "next year" if found["which2"] == "next" else "this year"
        else:
            year = int(found["year"])
            label = found["year"]
        if not 1 <= year <= 9999:
            return None
        part = found["part2"]
        first, last = date(year, 1, 1), date(year, 12, 31)
        if part == "early":
            last = date(year, 4, 30)
        elif part == "mid":
            first, last = date(year, 5, 1), date(year, 8, 31)
        elif part in ("late", "end of"):
            first = date(year, 9 if part == "late" else 10, 1)
        return Window(first, last, f"{part} {label}" if part else label)
    return None


def weekday_window(text: str, today: date) -> Window | None:
    """The coming weekday named ("by Friday"), or the one a week later for "next Friday"."""
    found = re.search(
        r"\b(?P<next>next )?(?P<day>monday|tuesday|wednesday|thursday|friday"
        r"|saturday|sunday)\b",
        text,
    )
    if not found:
        return None
    wanted = list(calendar.day_name).index(found["day"].title())
    ahead = (wanted - today.weekday()) % 7 or 7
    day = today + timedelta(days=ahead + (7 if found["next"] and ahead < 7 else 0))
    return Window(day, day, f"{found['day'].title()} {day.isoformat()}")


def month_window(text: str, today: date) -> Window | None:
    """A month, optionally with a day and a year: "by March", "15 March 2027", "mid-June"."""
    found = re.search(r"\b(?P<y>20\d\d)-(?P<m>\d\d)-(?P<d>\d\d)\b", text)
    if found:
        try:
            day = date(int(found["y"]), int(found["m"]), int(found["d"]))
        except ValueError:
            return None
        return Window(day, day, day.isoformat())
    matches = re.finditer(
        rf"(?P<ctx>\b(in|by|before|until|till|during|early|mid|late|end of"
        rf"|start of|beginning of|around|after|from)[- ])?(?:(?P<d1>\d{{1,2}})(st|nd|rd|th)?"
        rf" (of )?)?\b{_MONTH}\b(?: (?P<d2>\d{{1,2}})(st|nd|rd|th)?\b)?"
        rf"(?:,? (?P<year>20\d\d|next year|this year))?",
        text,
    )
    # "we may buy" is not the month of May: a bare "may" or "mar" needs context
    found = next(
        (
            m
            for m in matches
            if m["month"] not in ("may", "mar") or m["ctx"] or m["d1"] or m["d2"] or m["year"]
        ),
        None,
    )
    if not found:
        return None
    name = found["month"]
    month = _MONTHS[name]
    year = _year_of(found["year"], today)
    first = date(year or today.year, month, 1)
    last = month_end(first.year, month)
    if year is None and last < today:
        first, last = _next_year(first), month_end(first.year + 1, month)
    label = calendar.month_name[month] + (f" {first.year}" if first.year != today.year else "")
    number = found["d1"] or found["d2"]
    if number:
        try:
            day = date(first.year, month, int(number))
        except ValueError:
            return None
        if year is None and day < today:
            day = _next_year(day)
        return Window(day, day, f"{day.day} {label}")
    context = (found["ctx"] or "").strip(" -")
    if context in ("early", "start of", "beginning of"):
        last = first + timedelta(days=9)
    elif context == "mid":
        first, last = first + timedelta(days=10), first + timedelta(days=19)
    elif context in ("late", "end of"):
        first = first + timedelta(days=20)
    return Window(
        first,
        last,
        f"{context} {label}" if context in ("early", "mid", "late", "end of") else label,
    )
