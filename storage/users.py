"""Baton users: SDRs and managers."""

from __future__ import annotations

from sqlmodel import Session, select

from qualification.errors import AlreadyExists, InvalidInput, NotFound
from qualification.stages import Role
from storage.models import User
from storage.savepoint import try_insert


def create_user(
    *,
    session: Session,
    email: str,
    name: str,
    role: Role,
    slack_user_id: str | None = None,
) -> User:
    """Add a user; emails are unique (case-insensitive)."""
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput(f"{email!r} is not an email address")
    if get_user_by_email(session=session, email=email) is not None:
        raise AlreadyExists(f"a user with email {email} already exists")
    user = User(email=email, name=name.strip(), role=role, slack_user_id=slack_user_id or None)
    refused = try_insert(session, user)
    if refused is not None:
        raise AlreadyExists(
            f"a user with email {email} or that Slack id already exists"
        ) from refused
    return user


def get_user_by_email(*, session: Session, email: str) -> User | None:
    """The user with this email, ignoring case (emails are stored lower-cased)."""
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def get_user(*, session: Session, user_id: int) -> User:
    """The user with this id; NotFound if there is none."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def get_user_by_slack_id(*, session: Session, slack_user_id: str) -> User | None:
    """The user linked to this Slack account, if any."""
    return session.exec(select(User).where(User.slack_user_id == slack_user_id)).first()
