"""Baton users: SDRs and managers."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from qualification.errors import AlreadyExists, InvalidInput, NotFound, PermissionDenied
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


def link_slack_account(*, session: Session, email: str, slack_user_id: str) -> User | None:
    """Link `slack_user_id` to the active user with `email` if that user has no Slack account
    yet; returns the linked user, or None when there is nobody to link (the caller commits).

    The email must come from Slack itself (users.info), which only shows confirmed addresses.
    """
    existing = get_user_by_slack_id(session=session, slack_user_id=slack_user_id)
    if existing is not None:
        return existing if existing.active else None
    user = get_user_by_email(session=session, email=email)
    if user is None or not user.active or user.slack_user_id is not None:
        return None
    try:
        with session.begin_nested():  # a racing link may take the user or the Slack id first
            claimed = session.execute(
                update(User)
                .where(col(User.id) == user.id, col(User.slack_user_id).is_(None))
                .values(slack_user_id=slack_user_id)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:
        claimed = None
    session.refresh(user)
    if claimed is not None and claimed.rowcount == 1:  # type: ignore[attr-defined]
        return user
    return user if user.slack_user_id == slack_user_id else None


def add_user_from_slack(
    *,
    session: Session,
    added_by: User,
    slack_user_id: str,
    email: str | None,
    name: str,
    role: Role,
) -> tuple[User, bool]:
    """A manager lets a Slack account in: create its user with `role`, or link the existing
    user with that email. Returns the user and whether access was granted now (False when the
    account was already a Baton user, for example after a second click)."""
    if added_by.role is not Role.MANAGER or not added_by.active:
        raise PermissionDenied(f"only managers can add people to Baton ({added_by.email} is not)")
    existing = get_user_by_slack_id(session=session, slack_user_id=slack_user_id)
    if existing is not None and not existing.active:
        raise AlreadyExists(
            f"{existing.email} is a deactivated Baton user; an administrator can reactivate them"
        )
    if existing is not None:
        return existing, False
    if not email:
        raise InvalidInput(
            f"Slack does not show an email for {slack_user_id}; add them with"
            f" `baton user add EMAIL --slack-id {slack_user_id}`"
        )
    linked = link_slack_account(session=session, email=email, slack_user_id=slack_user_id)
    if linked is not None:
        return linked, True
    try:
        user = create_user(
            session=session, email=email, name=name, role=role, slack_user_id=slack_user_id
        )
    except AlreadyExists:
        winner = get_user_by_slack_id(session=session, slack_user_id=slack_user_id)
        if winner is None:  # the email belongs to another (or a deactivated) account
            raise
        return winner, False
    return user, True


def has_unlinked_users(*, session: Session) -> bool:
    """True when some active user has no Slack account yet (one could be linked by email)."""
    query = select(User.id).where(col(User.slack_user_id).is_(None), User.active == True)  # noqa: E712
    return session.exec(query.limit(1)).first() is not None


def slack_managers(*, session: Session) -> list[User]:
    """Active managers with a Slack account (whose Home shows the pending approvals)."""
    query = select(User).where(
        User.role == Role.MANAGER,
        col(User.slack_user_id).is_not(None),
        User.active == True,  # noqa: E712
    )
    return list(session.exec(query).all())
