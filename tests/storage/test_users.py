"""Users: unique, case-insensitive emails; roles."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from qualification.errors import AlreadyExists, InvalidInput, NotFound
from qualification.stages import Role
from storage.users import create_user, get_user, get_user_by_email, get_user_by_slack_id


def test_emails_are_stored_lower_case_and_found_ignoring_case(session: Session) -> None:
    user = create_user(
        session=session,
        email=" Mia@Example.COM ",
        name=" Mia ",
        role=Role.MANAGER,
        slack_user_id="U1",
    )
    session.commit()
    assert (user.email, user.name, user.role) == ("mia@example.com", "Mia", Role.MANAGER)
    assert get_user_by_email(session=session, email="MIA@example.com") == user
    assert get_user_by_slack_id(session=session, slack_user_id="U1") == user
    assert get_user(session=session, user_id=user.id or 0) == user


def test_duplicates_and_bad_input_are_refused(session: Session) -> None:
    create_user(
        session=session, email="sam@example.com", name="Sam", role=Role.SDR, slack_user_id="U2"
    )
    session.commit()
    with pytest.raises(AlreadyExists):
        create_user(session=session, email="SAM@example.com", name="Sam", role=Role.SDR)
    with pytest.raises(AlreadyExists):  # the Slack id is taken: refused by the database
        create_user(
            session=session, email="other@example.com", name="O", role=Role.SDR, slack_user_id="U2"
        )
    with pytest.raises(InvalidInput):
        create_user(session=session, email="not-an-email", name="x", role=Role.SDR)
    with pytest.raises(NotFound):
        get_user(session=session, user_id=999)
    # The refused inserts did not spoil the transaction.
    session.commit()
    assert get_user_by_email(session=session, email="other@example.com") is None
