"""Weekly opening hours for live chat."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from qualification.business_hours import BusinessHours, BusinessHoursError

# 2026-11-23 is a Monday.
MONDAY_NOON_UTC = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_weekdays_in_a_time_zone() -> None:
    hours = BusinessHours.parse("mon-fri 09:00-17:00", timezone="Europe/Berlin")
    assert hours.is_open(MONDAY_NOON_UTC)  # 13:00 in Berlin
    assert not hours.is_open(datetime(2026, 11, 23, 16, 0, tzinfo=UTC))  # 17:00 Berlin: closed
    assert hours.is_open(datetime(2026, 11, 23, 15, 59, tzinfo=UTC))
    assert not hours.is_open(datetime(2026, 11, 28, 12, 0, tzinfo=UTC))  # Saturday


def test_several_windows_and_a_day_to_midnight() -> None:
    hours = BusinessHours.parse("mon-fri 09:00-12:00; mon-fri 13:00-17:00; sat 10:00-24:00")
    assert not hours.is_open(datetime(2026, 11, 23, 12, 30, tzinfo=UTC))  # lunch
    assert hours.is_open(datetime(2026, 11, 23, 13, 0, tzinfo=UTC))
    assert hours.is_open(datetime(2026, 11, 28, 23, 59, tzinfo=UTC))


def test_always_and_never() -> None:
    assert BusinessHours.parse("24/7").is_open(MONDAY_NOON_UTC)
    never = BusinessHours.parse("never")
    assert not never.is_open(MONDAY_NOON_UTC)
    assert never.next_opening(MONDAY_NOON_UTC) is None


def test_next_opening_is_described_for_the_prospect() -> None:
    hours = BusinessHours.parse("mon-fri 09:00-17:00", timezone="America/New_York")
    friday_evening = datetime(2026, 11, 27, 23, 0, tzinfo=UTC)  # 18:00 in New York
    opening = hours.next_opening(friday_evening)
    assert opening is not None and opening.weekday() == 0 and opening.hour == 9
    assert hours.describe(friday_evening) == (
        "Our team is back Monday at 09:00 (America/New_York time)."
    )
    early = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # 06:00 in New York
    assert "back today at 09:00" in hours.describe(early)
    assert "back tomorrow at 09:00" in hours.describe(datetime(2026, 11, 24, 1, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("mon-fry 09:00-17:00", "'fry' is not a day"),
        ("fri-mon 09:00-17:00", "days run backwards"),
        ("mon 17:00-09:00", "closing time must be after"),
        ("mon 25:00-26:00", "not a time of day"),
        ("weekdays nine to five", "write days and hours like"),
    ],
)
def test_unreadable_hours_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(BusinessHoursError, match=problem):
        BusinessHours.parse(text)


def test_unknown_time_zone() -> None:
    with pytest.raises(BusinessHoursError, match="unknown time zone 'Mars/Olympus'"):
        BusinessHours.parse("24/7", timezone="Mars/Olympus")
