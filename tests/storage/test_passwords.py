"""Password hashing, the password policy, logins and the lock-out bookkeeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlmodel import Session

from qualification.errors import InvalidInput
from qualification.stages import Role
from storage.accounts import active_user, authenticate, set_password
from storage.login_attempts import (
    clear_failures,
    locked_until,
    login_key,
    recent_failures,
    record_failure,
)
from storage.passwords import check_policy, hash_password, needs_rehash, verify_password
from tests.factories import make_user

GOOD = "correct horse battery staple"
NOW = datetime(2026, 3, 2, 10, 0, 30, tzinfo=UTC)


def test_hashes_are_salted_argon2id_and_verify_only_the_right_password() -> None:
    first, second = hash_password(GOOD), hash_password(GOOD)
    assert first.startswith("$argon2id$") and first != second
    assert verify_password(first, GOOD) and verify_password(second, GOOD)
    assert not verify_password(first, GOOD + " ")
    assert not verify_password(first, "")
    assert not needs_rehash(first)


def test_no_hash_or_a_broken_one_never_verifies() -> None:
    assert not verify_password(None, GOOD)
    assert not verify_password("", "")
    assert not verify_password("$argon2id$garbage", GOOD)
    assert not verify_password("plain text", "plain text")


def test_hashes_with_older_parameters_need_a_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(GOOD)
    assert verify_password(weak, GOOD)
    assert needs_rehash(weak)
    assert needs_rehash("not a hash")


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 10 characters"),
        ("123456789", "at least 10 characters"),
        ("          ", "only spaces"),
        ("Jane@Example.com", "email address"),
        ("x" * 1025, "at most 1024"),
    ],
)
def test_the_policy_explains_what_is_wrong(password: str, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        check_policy(password=password, email="jane@example.com")


def test_a_ten_character_password_is_enough() -> None:
    check_policy(password="0123456789", email="jane@example.com")


def test_set_password_and_authenticate(session: Session) -> None:
    user = make_user(session, role=Role.MANAGER, email="Jane@Example.com")
    assert authenticate(session=session, email=user.email, password=GOOD) is None  # no password
    with pytest.raises(InvalidInput):
        set_password(session=session, user=user, password="jane@example.com")
    session.rollback()
    assert user.password_hash is None
    set_password(session=session, user=user, password=GOOD)
    session.commit()
    assert user.password_hash is not None and GOOD not in user.password_hash
    found = authenticate(session=session, email="  JANE@example.COM ", password=GOOD)
    assert found is not None and found.id == user.id
    assert authenticate(session=session, email=user.email, password="wrong password") is None
    assert authenticate(session=session, email="other@example.com", password=GOOD) is None
    assert authenticate(session=session, email="", password=GOOD) is None


def test_a_deactivated_user_cannot_log_in(session: Session) -> None:
    user = make_user(session)
    set_password(session=session, user=user, password=GOOD)
    user.active = False
    session.add(user)
    session.commit()
    assert authenticate(session=session, email=user.email, password=GOOD) is None
    assert active_user(session=session, user_id=user.id or 0) is None


def test_an_old_hash_is_replaced_at_login(session: Session) -> None:
    user = make_user(session)
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(GOOD)
    user.password_hash = weak
    session.add(user)
    session.commit()
    assert authenticate(session=session, email=user.email, password=GOOD) is not None
    session.commit()
    session.refresh(user)
    assert user.password_hash != weak and not needs_rehash(user.password_hash or "")
    assert verify_password(user.password_hash, GOOD)


def test_failures_lock_a_key_for_its_lock_time_then_it_starts_again(session: Session) -> None:
    key = login_key("email", "Jane@Example.com")
    assert key == login_key("email", " jane@example.com")
    assert "jane" not in key  # not stored in clear
    policy = {"max_failures": 3, "window_seconds": 900, "lock_seconds": 600}
    assert record_failure(session=session, key=key, now=NOW, **policy) is None
    assert (
        record_failure(session=session, key=key, now=NOW + timedelta(minutes=5), **policy) is None
    )
    assert locked_until(session=session, key=key, now=NOW + timedelta(minutes=5)) is None
    third = NOW + timedelta(minutes=10)
    until = record_failure(session=session, key=key, now=third, **policy)
    assert until == third + timedelta(seconds=600)
    assert locked_until(session=session, key=key, now=third + timedelta(minutes=9)) == until
    assert locked_until(session=session, key=key, now=until) is None
    # After the lock the key has its full number of tries again.
    assert recent_failures(session=session, key=key, window_seconds=900, now=until) == 0
    other = login_key("email", "someone@example.com")
    assert locked_until(session=session, key=other, now=third) is None


def test_failures_outside_the_window_do_not_count(session: Session) -> None:
    key = login_key("email", "slow@example.com")
    policy = {"max_failures": 3, "window_seconds": 900, "lock_seconds": 600}
    for minutes in (0, 10, 20, 30):
        now = NOW + timedelta(minutes=minutes)
        assert record_failure(session=session, key=key, now=now, **policy) is None
    assert (
        recent_failures(
            session=session, key=key, window_seconds=900, now=NOW + timedelta(minutes=30)
        )
        == 2
    )


def test_clearing_failures_resets_the_count(session: Session) -> None:
    key = login_key("email", "jane@example.com")
    policy = {"max_failures": 2, "window_seconds": 900, "lock_seconds": 600}
    assert record_failure(session=session, key=key, now=NOW, **policy) is None
    clear_failures(session=session, key=key)
    assert record_failure(session=session, key=key, now=NOW, **policy) is None
    assert record_failure(session=session, key=key, now=NOW, **policy) is not None
