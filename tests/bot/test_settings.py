"""Settings refuse what cannot work and say which variable is wrong."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.settings import Settings


def test_unreadable_live_chat_hours_name_the_variable() -> None:
    with pytest.raises(ValidationError, match=r"BATON_LIVE_CHAT_HOURS.*'fry' is not a day"):
        Settings(live_chat_hours="mon-fry 09:00-17:00")


def test_an_unknown_live_chat_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown time zone 'Europe/Atlantis'"):
        Settings(live_chat_timezone="Europe/Atlantis")


def test_live_chat_needs_slack_and_an_sdr_channel() -> None:
    assert not Settings().live_chat_enabled
    slack = {"slack_bot_token": "xoxb-test", "slack_signing_secret": "s" * 32}
    assert not Settings(**slack).live_chat_enabled
    on = Settings(**slack, slack_sdr_channel="C0SDR", live_chat_hours="24/7")
    assert on.live_chat_enabled
    assert on.business_hours.always


def test_a_placeholder_secret_key_is_refused() -> None:
    with pytest.raises(ValidationError, match="looks like a placeholder"):
        Settings(secret_key="changethis-changethis-changethis-1234")
