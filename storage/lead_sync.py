"""Leads arriving from marketing systems (API, CSV): upsert by email, then score them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from qualification.lifecycle import Actor
from qualification.rules import RuleSet
from storage.leads import upsert_lead
from storage.ledger import rescore_lead
from storage.models import Lead, LeadCreate


def sync_lead(
    *, session: Session, data: LeadCreate, actor: Actor, rules: RuleSet, now: datetime
) -> tuple[Lead, bool]:
    """Create the lead or update the one with the same email, and re-score it (its fit may have
    changed, which can make it an MQL). Returns the lead and whether it was created."""
    lead, created = upsert_lead(session=session, data=data, actor=actor)
    rescore_lead(session=session, lead=lead, rules=rules, now=now, actor=Actor.system("scoring"))
    return lead, created
