"""Factories for rows tests need; every row goes through the real services."""

from __future__ import annotations

import itertools
from typing import Any

from sqlmodel import Session

from qualification.lifecycle import Actor
from qualification.stages import Role
from storage.leads import create_lead
from storage.models import Lead, LeadCreate, User
from storage.users import create_user

_counter = itertools.count(1)


def make_lead(session: Session, **overrides: Any) -> Lead:
    """A committed lead with plausible defaults (a unique email unless given)."""
    n = next(_counter)
    data: dict[str, Any] = {
        "email": f"lead{n}@example.com",
        "name": f"Lead {n}",
        "title": "Head of Sales Operations",
        "company_name": f"Company {n}",
        "industry": "software",
        "employee_count": 250,
        "country": "US",
    }
    data.update(overrides)
    lead = create_lead(session=session, data=LeadCreate(**data), actor=Actor.system("test"))
    session.commit()
    return lead


def make_user(session: Session, *, role: Role = Role.SDR, **overrides: Any) -> User:
    n = next(_counter)
    user = create_user(
        session=session,
        email=overrides.pop("email", f"user{n}@example.com"),
        name=overrides.pop("name", f"User {n}"),
        role=role,
        slack_user_id=overrides.pop("slack_user_id", None),
    )
    session.commit()
    return user
