"""Listing leads with filters and keyset pagination on (updated_at, id).

The cursor is opaque to clients (URL-safe base64 of the last row's position), so a walk through
every page sees each lead once even while other rows are inserted; a lead updated during the
walk moves to the end and is seen again with its new values, which is what a sync wants.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from qualification.errors import InvalidInput
from qualification.stages import Stage
from storage.models import Lead

MAX_PAGE = 200


@dataclass(frozen=True)
class LeadFilter:
    """Conditions a listed lead must meet; None means "any"."""

    stages: tuple[Stage, ...] = ()
    source_campaign: str | None = None
    source_asset: str | None = None
    source_channel: str | None = None
    score_min: int | None = None
    score_max: int | None = None
    updated_since: datetime | None = None


@dataclass(frozen=True)
class LeadPage:
    leads: list[Lead]
    next_cursor: str | None


def encode_cursor(lead: Lead) -> str:
    """The position just after `lead` in (updated_at, id) order."""
    raw = json.dumps({"u": lead.updated_at.isoformat(), "i": lead.id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (updated_at, id) a cursor points after; InvalidInput for anything we did not issue."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        moment = datetime.fromisoformat(data["u"])
        lead_id = int(data["i"])
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InvalidInput("cursor is not valid: pass back a next_cursor unchanged") from None
    if moment.tzinfo is None:
        raise InvalidInput("cursor is not valid: pass back a next_cursor unchanged")
    return moment, lead_id


def list_leads(
    *, session: Session, filters: LeadFilter, cursor: str | None = None, limit: int = 50
) -> LeadPage:
    """One page of leads matching `filters`, oldest update first, and the cursor of the next."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
    if (
        filters.score_min is not None
        and filters.score_max is not None
        and filters.score_min > filters.score_max
    ):
        raise InvalidInput("score_min must not be greater than score_max")
    query = select(Lead)
    if filters.stages:
        query = query.where(col(Lead.stage).in_(filters.stages))
    if filters.source_campaign is not None:
        query = query.where(Lead.source_campaign == filters.source_campaign)
    if filters.source_asset is not None:
        query = query.where(Lead.source_asset == filters.source_asset)
    if filters.source_channel is not None:
        query = query.where(Lead.source_channel == filters.source_channel)
    if filters.score_min is not None:
        query = query.where(col(Lead.score) >= filters.score_min)
    if filters.score_max is not None:
        query = query.where(col(Lead.score) <= filters.score_max)
    if filters.updated_since is not None:
        query = query.where(col(Lead.updated_at) >= filters.updated_since)
    if cursor:
        after_at, after_id = decode_cursor(cursor)
        query = query.where(
            or_(
                col(Lead.updated_at) > after_at,
                and_(col(Lead.updated_at) == after_at, col(Lead.id) > after_id),
            )
        )
    query = query.order_by(col(Lead.updated_at), col(Lead.id)).limit(limit + 1)
    rows = list(session.exec(query).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return LeadPage(leads=rows, next_cursor=encode_cursor(rows[-1]) if more and rows else None)
