"""Password hashing (Argon2id) and the password policy of dashboard logins."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from qualification.errors import InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 1024  # hashing a huge "password" is a cheap way to make the server work hard

# argon2-cffi's defaults are Argon2id with the RFC 9106 low-memory profile; a release that
# raises them makes `needs_rehash` true for older hashes, which are then upgraded at login.
_HASHER = PasswordHasher()


def check_policy(*, password: str, email: str) -> None:
    """InvalidInput naming the problem when `password` may not be used for the account `email`."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"the password must be at least {MIN_LENGTH} characters long")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"the password must be at most {MAX_LENGTH} characters long")
    if not password.strip():
        raise InvalidInput("the password must not be only spaces")
    if password.strip().lower() == email.strip().lower():
        raise InvalidInput("the password must not be the account's email address")


def hash_password(password: str) -> str:
    """An Argon2id hash of `password` (salted; includes its parameters)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches `password_hash`; always False without a hash.

    The comparison is argon2's (constant time), and a missing or malformed hash costs the same
    work as a real check.
    """
    if len(password) > MAX_LENGTH:
        return False
    if not password_hash:
        _spend_the_same_time(password)
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except VerifyMismatchError:
        return False
    except (InvalidHashError, VerificationError):
        _spend_the_same_time(password)
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than the current ones."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _HASHER.hash("no such password; only here to take the time a real check takes")


def _spend_the_same_time(password: str) -> None:
    """Verify against a throw-away hash, so that a login for an unknown email (or a user without
    a password) takes as long as one with a wrong password."""
    try:
        _HASHER.verify(_dummy_hash(), password)
    except VerificationError:
        pass
