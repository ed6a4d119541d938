"""Finding a lead from what a person types: an email, or (part of) a name."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.leads import find_lead_by_email
from storage.models import Lead


def find_lead(*, session: Session, query: str) -> Lead | None:
    """The lead with this email, or the one lead whose name is (or, failing that, contains)
    the query, ignoring case. None when nothing or more than one lead matches a name."""
    query = query.strip()
    if not query:
        return None
    if "@" in query:
        return find_lead_by_email(session=session, email=query)
    name = func.lower(col(Lead.name))
    for condition in (name == query.lower(), name.contains(query.lower(), autoescape=True)):
        matches = session.exec(select(Lead).where(condition).limit(2)).all()
        if len(matches) == 1:
            return matches[0]
        if matches:
            return None
    return None
