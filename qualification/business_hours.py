"""When people are there to take a live chat: weekly opening hours in one time zone.

Written as `"mon-fri 09:00-17:30; sat 10:00-13:00"` (days and ranges; `24/7` for always,
`never` for no live chat at all). Pure: parse once at start-up, ask `is_open(now)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_PART = re.compile(
    r"^(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+"
    r"(?P<open>\d{1,2}:\d{2})\s*-\s*(?P<close>\d{1,2}:\d{2})$"
)


class BusinessHoursError(ValueError):
    """Opening hours that cannot be read; the message says which part and why."""


@dataclass(frozen=True)
class Window:
    day: int  # 0 = Monday
    opens: time
    closes: time  # exclusive; 24:00 is written as time.max


@dataclass(frozen=True)
class BusinessHours:
    """Weekly windows in a time zone. `always` ignores the windows."""

    zone: ZoneInfo
    windows: tuple[Window, ...]
    always: bool = False
    text: str = ""

    @classmethod
    def parse(cls, text: str, *, timezone: str = "UTC") -> BusinessHours:
        """Read the weekly hours; raises BusinessHoursError naming the part that is wrong."""
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise BusinessHoursError(
                f"unknown time zone {timezone!r} (e.g. Europe/Berlin)"
            ) from exc
        squeezed = " ".join(text.lower().split())
        if squeezed in ("24/7", "always"):
            return cls(zone=zone, windows=(), always=True, text="24/7")
        if squeezed in ("never", "off", ""):
            return cls(zone=zone, windows=(), text="never")
        windows: list[Window] = []
        for part in (p.strip() for p in squeezed.split(";")):
            if not part:
                continue
            match = _PART.match(part)
            if match is None:
                raise BusinessHoursError(
                    f"cannot read {part!r}: write days and hours like 'mon-fri 09:00-17:00'"
                )
            first = _day(match["first"], part)
            last = _day(match["last"], part) if match["last"] else first
            if last < first:
                raise BusinessHoursError(f"{part!r}: the days run backwards")
            opens = _clock(match["open"], part)
            closes = _clock(match["close"], part)
            if closes <= opens:
                raise BusinessHoursError(f"{part!r}: closing time must be after opening time")
            windows.extend(Window(day, opens, closes) for day in range(first, last + 1))
        return cls(zone=zone, windows=tuple(windows), text=squeezed)

    def is_open(self, now: datetime) -> bool:
        """Whether `now` (timezone-aware) falls in a window."""
        if self.always:
            return True
        local = now.astimezone(self.zone)
        clock = local.time().replace(tzinfo=None)
        return any(w.day == local.weekday() and w.opens <= clock < w.closes for w in self.windows)

    def next_opening(self, now: datetime) -> datetime | None:
        """The next time a window opens after `now` (None when there is none)."""
        if self.always or not self.windows:
            return None
        local = now.astimezone(self.zone)
        for offset in range(8):
            day = local.date() + timedelta(days=offset)
            starts = sorted(w.opens for w in self.windows if w.day == day.weekday())
            for opens in starts:
                at = datetime.combine(day, opens, tzinfo=self.zone)
                if at > local:
                    return at
        return None

    def describe(self, now: datetime) -> str:
        """A sentence for the prospect about when someone is next there."""
        opening = self.next_opening(now)
        if opening is None:
            return "Live chat is not available."
        local = now.astimezone(self.zone)
        when = opening.strftime("%H:%M")
        if opening.date() == local.date():
            day = "today"
        elif opening.date() == local.date() + timedelta(days=1):
            day = "tomorrow"
        else:
            day = DAY_NAMES[opening.weekday()]
        return f"Our team is back {day} at {when} ({self.zone.key} time)."


def _day(name: str, part: str) -> int:
    if name not in DAYS:
        raise BusinessHoursError(f"{part!r}: {name!r} is not a day (mon, tue, … sun)")
    return DAYS.index(name)


def _clock(value: str, part: str) -> time:
    hours, minutes = (int(x) for x in value.split(":"))
    if hours == 24 and minutes == 0:
        return time.max
    if hours > 23 or minutes > 59:
        raise BusinessHoursError(f"{part!r}: {value} is not a time of day")
    return time(hours, minutes)
