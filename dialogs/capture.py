"""Lead capture steps: put an answer (name, work email, company...) on the lead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from qualification.lifecycle import Actor
from qualification.parsers.seniority import parse_seniority
from storage.lead_merge import merge_lead
from storage.leads import find_lead_by_email
from storage.models import Lead, LeadBase

EMAIL_ON_FILE = (
    "That email address is already on file with us, so I've noted the link to the existing "
    "record for our team."
)
WELCOME_BACK = "Welcome back! I've added this conversation to what we already have on file."


@dataclass(frozen=True)
class Captured:
    """What a capture step changed: whether the field was set, a link, notices to show."""

    stored: bool
    linked_lead_id: int | None = None
    notices: tuple[str, ...] = ()
    # The lead the conversation now belongs to, when an anonymous lead was merged into it.
    merged_into: Lead | None = None


def _max_length(field: str) -> int | None:
    for meta in LeadBase.model_fields[field].metadata:
        limit = getattr(meta, "max_length", None)
        if isinstance(limit, int):
            return limit
    return None


def valid_value(field: str, value: Any) -> bool:
    """Whether a parsed value can go into the lead field (counts are never negative)."""
    if field in ("employee_count", "annual_revenue"):
        return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
    return isinstance(value, str) and bool(value.strip())


def capture_field(
    *,
    session: Session,
    lead: Lead,
    field: str,
    value: Any,
    now: datetime,
    actor: Actor,
    channel: str,
) -> Captured:
    """Set `field` on the lead. An email another lead already has is linked, never duplicated."""
    if field == "email":
        email = str(value).strip()
        if lead.email and lead.email.casefold() == email.casefold():
            return Captured(stored=True)
        other = find_lead_by_email(session=session, email=email)
        if other is not None and other.id != lead.id:
            if not lead.email:
                # An anonymous visitor who gives an email on file is that lead: no duplicate.
                merged = merge_lead(
                    session=session, source=lead, target=other, actor=actor, channel=channel
                )
                return Captured(stored=True, merged_into=merged, notices=(WELCOME_BACK,))
            # The conversation's lead already has another email: link, never overwrite.
            return Captured(stored=False, linked_lead_id=other.id, notices=(EMAIL_ON_FILE,))
        lead.email = email
    elif field == "employee_count":
        lead.employee_count = round(float(value))
    elif field == "annual_revenue":
        lead.annual_revenue = float(value)
    else:
        text = " ".join(str(value).split())
        limit = _max_length(field)
        setattr(lead, field, text[:limit] if limit else text)
        if field == "title":
            seniority = parse_seniority(text)
            lead.seniority = seniority.value if seniority else None
    lead.updated_at = now
    session.add(lead)
    return Captured(stored=True)
