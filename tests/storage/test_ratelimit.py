"""Rate-limit windows counted in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from storage.ratelimit import Hit, current_count, hit, hit_all, window_start

NOW = datetime(2026, 3, 2, 10, 0, 30, tzinfo=UTC)


def test_requests_within_the_limit_pass_and_the_next_waits_for_the_window(
    session: Session,
) -> None:
    decisions = [
        hit(session=session, key="ip:1", limit=3, window_seconds=60, now=NOW) for _ in range(4)
    ]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[-1].retry_after == 30
    assert current_count(session=session, key="ip:1", window_seconds=60, now=NOW) == 4
    later = hit(
        session=session, key="ip:1", limit=3, window_seconds=60, now=NOW + timedelta(seconds=31)
    )
    assert later.allowed and later.count == 1


def test_keys_are_counted_separately(session: Session) -> None:
    assert hit(session=session, key="a", limit=1, window_seconds=60, now=NOW).allowed
    assert hit(session=session, key="b", limit=1, window_seconds=60, now=NOW).allowed
    assert not hit(session=session, key="a", limit=1, window_seconds=60, now=NOW).allowed


def test_windows_are_aligned_to_their_length() -> None:
    assert window_start(NOW, 60) == datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)
    assert window_start(NOW, 3600) == datetime(2026, 3, 2, 10, 0, 0, tzinfo=UTC)


def test_several_counters_are_counted_in_order_until_one_refuses(session: Session) -> None:
    hits = [Hit("ip:9", 2, 60), Hit("token:9", 1, 60)]
    first = hit_all(session=session, hits=hits, now=NOW)
    assert first.allowed and first.count == 1
    # The token's limit refuses the second request; the address counted it.
    second = hit_all(session=session, hits=hits, now=NOW)
    assert not second.allowed and second.retry_after == 30
    # The address refuses the third, so the token is not charged for it.
    third = hit_all(session=session, hits=hits, now=NOW)
    assert not third.allowed
    assert current_count(session=session, key="ip:9", window_seconds=60, now=NOW) == 3
    assert current_count(session=session, key="token:9", window_seconds=60, now=NOW) == 2
