"""Whether a person can take a prospect's live chat now: live chat on, and within the hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from qualification.business_hours import BusinessHours

OFFER_FOLLOWUP = "followup"  # the widget offers "email me" / "book a meeting"
OFFER_LIVE = "live"  # the widget offers "talk to someone now"


@dataclass(frozen=True)
class LiveDesk:
    """Live chat settings the engine and the channels consult (built from Settings)."""

    enabled: bool
    hours: BusinessHours
    answer_seconds: int = 120

    def open_now(self, now: datetime) -> bool:
        return self.enabled and self.hours.is_open(now)

    def answer_by(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.answer_seconds)

    def wait_note(self) -> str:
        minutes = max(1, round(self.answer_seconds / 60))
        unit = "minute" if minutes == 1 else "minutes"
        return (
            f"Someone usually picks up within {minutes} {unit}. You can keep typing here in"
            " the meantime."
        )

    def offline_note(self, now: datetime) -> str:
        """What the prospect is told when nobody can take a live chat now."""
        if not self.enabled:
            return (
                "Nobody can chat live right now, but we can follow up by email or set up a meeting."
            )
        return (
            f"Nobody from our team is online right now. {self.hours.describe(now)} We can"
            " follow up by email or set up a meeting."
        )
