"""Dashboard accounts of Baton users: setting a password and checking a login."""

from __future__ import annotations

from sqlmodel import Session

from storage.models import User
from storage.passwords import check_policy, hash_password, needs_rehash, verify_password
from storage.users import get_user_by_email


def set_password(*, session: Session, user: User, password: str) -> None:
    """Give `user` a new password (after checking the policy); the caller commits.

    A new hash also ends every dashboard session signed for the old one.
    """
    check_policy(password=password, email=user.email)
    user.password_hash = hash_password(password)
    session.add(user)
    session.flush()


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None for any other combination.

    A hash made with older parameters is replaced by a current one (the caller commits).
    Unknown emails cost as much work as wrong passwords, so timing does not tell them apart.
    """
    user = get_user_by_email(session=session, email=email) if email.strip() else None
    stored = user.password_hash if user is not None else None
    if not verify_password(stored, password) or user is None or stored is None:
        return None
    if not user.active:
        return None
    if needs_rehash(stored):
        user.password_hash = hash_password(password)
        session.add(user)
        session.flush()
    return user


def active_user(*, session: Session, user_id: int) -> User | None:
    """The user with this id while it is active (a deactivated user's sessions end)."""
    user = session.get(User, user_id)
    return user if user is not None and user.active else None
