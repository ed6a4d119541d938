"""Slack accounts joining Baton: linked by email, or added by a manager."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from qualification.errors import AlreadyExists, InvalidInput, PermissionDenied
from qualification.stages import Role
from storage.models import User
from storage.users import add_user_from_slack, get_user_by_slack_id, link_slack_account
from tests.factories import make_user


def test_an_email_added_without_slack_id_is_linked_once(session: Session) -> None:
    ann = make_user(session, email="ann@acme.com")
    linked = link_slack_account(session=session, email="Ann@Acme.com", slack_user_id="UANN")
    session.commit()
    assert linked is not None and linked.id == ann.id
    assert get_user_by_slack_id(session=session, slack_user_id="UANN") == ann
    # Linking again is a no-op that returns the same user; another account gets nothing.
    again = link_slack_account(session=session, email="ann@acme.com", slack_user_id="UANN")
    assert again is not None and again.id == ann.id
    assert link_slack_account(session=session, email="ann@acme.com", slack_user_id="UOTHER") is None
    session.commit()
    stored = session.get(User, ann.id)
    assert stored is not None and stored.slack_user_id == "UANN"


def test_nobody_is_linked_to_an_unknown_or_deactivated_email(session: Session) -> None:
    bob = make_user(session, email="bob@acme.com")
    bob.active = False
    session.add(bob)
    session.commit()
    assert link_slack_account(session=session, email="nobody@acme.com", slack_user_id="U1") is None
    assert link_slack_account(session=session, email="bob@acme.com", slack_user_id="U1") is None
    session.commit()
    assert session.exec(select(User).where(User.slack_user_id == "U1")).first() is None


def test_a_slack_id_already_linked_elsewhere_is_refused_without_spoiling_the_transaction(
    session: Session,
) -> None:
    make_user(session, email="first@acme.com", slack_user_id="UTAKEN")
    second = make_user(session, email="second@acme.com")
    linked = link_slack_account(session=session, email="second@acme.com", slack_user_id="UTAKEN")
    assert linked is not None and linked.email == "first@acme.com"  # the account's own user
    session.commit()
    session.refresh(second)
    assert second.slack_user_id is None


def test_a_manager_adds_a_slack_account_once(session: Session) -> None:
    mia = make_user(session, role=Role.MANAGER, slack_user_id="UMIA")
    user, granted = add_user_from_slack(
        session=session,
        added_by=mia,
        slack_user_id="UNEW",
        email="New.Person@acme.com",
        name="New Person",
        role=Role.SDR,
    )
    session.commit()
    assert granted
    assert (user.email, user.name, user.role, user.slack_user_id) == (
        "new.person@acme.com",
        "New Person",
        Role.SDR,
        "UNEW",
    )
    again, granted = add_user_from_slack(
        session=session,
        added_by=mia,
        slack_user_id="UNEW",
        email="new.person@acme.com",
        name="New Person",
        role=Role.MANAGER,
    )
    assert not granted and again.id == user.id and again.role is Role.SDR


def test_a_manager_adding_a_known_email_links_it(session: Session) -> None:
    mia = make_user(session, role=Role.MANAGER, slack_user_id="UMIA")
    ann = make_user(session, email="ann@acme.com", role=Role.SDR)
    user, granted = add_user_from_slack(
        session=session,
        added_by=mia,
        slack_user_id="UANN",
        email="ann@acme.com",
        name="Ann",
        role=Role.MANAGER,
    )
    session.commit()
    assert granted and user.id == ann.id and user.role is Role.SDR
    assert len(session.exec(select(User)).all()) == 2


def test_only_managers_add_and_an_email_is_needed(session: Session) -> None:
    sam = make_user(session, role=Role.SDR, slack_user_id="USAM")
    mia = make_user(session, role=Role.MANAGER, slack_user_id="UMIA")
    with pytest.raises(PermissionDenied):
        add_user_from_slack(
            session=session,
            added_by=sam,
            slack_user_id="UNEW",
            email="new@acme.com",
            name="",
            role=Role.SDR,
        )
    with pytest.raises(InvalidInput):
        add_user_from_slack(
            session=session, added_by=mia, slack_user_id="UNEW", email=None, name="", role=Role.SDR
        )
    other = make_user(session, email="taken@acme.com", slack_user_id="UTAKEN")
    with pytest.raises(AlreadyExists):  # the email belongs to another Slack account
        add_user_from_slack(
            session=session,
            added_by=mia,
            slack_user_id="UNEW",
            email="taken@acme.com",
            name="",
            role=Role.SDR,
        )
    session.commit()
    assert get_user_by_slack_id(session=session, slack_user_id="UNEW") is None
    assert other.slack_user_id == "UTAKEN"
