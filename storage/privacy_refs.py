"""Finding a person's data outside their own rows: leads merged into theirs, outbox items
about them, and their email address typed into other records."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Text, cast, func, or_
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, SQLModel, col, select

from storage.hot_lead_view import SUBJECT as HOT_LEAD
from storage.models import (
    BantAnswer,
    Conversation,
    HandoffRequest,
    Message,
    OutboxItem,
    SlackPost,
)
from storage.slack_posts import HANDOFF
from storage.webhooks import DELIVER

MERGED = "lead.merged"  # the outbox topic storage.lead_merge writes
ERASED = "lead.erased"  # the event of an erasure (never erased itself, nor its deliveries)
ERASED_TEXT = "[erased]"


def lead_rows(session: Session, model: type[SQLModel], *where: Any) -> list[Any]:
    """Rows of `model` matching `where`, in id order."""
    query = select(model).where(*where).order_by(model.id)  # type: ignore[attr-defined]
    return list(session.exec(query).all())


def lead_slack_posts(*, session: Session, lead_id: int) -> list[SlackPost]:
    """The Slack posts Baton recorded about the lead: hot-lead cards and its handoff cards."""
    request_ids = session.exec(
        select(HandoffRequest.id).where(HandoffRequest.lead_id == lead_id)
    ).all()
    return lead_rows(
        session,
        SlackPost,
        ((col(SlackPost.subject) == HOT_LEAD) & (col(SlackPost.subject_id) == lead_id))
        | ((col(SlackPost.subject) == HANDOFF) & col(SlackPost.subject_id).in_(request_ids)),
    )


@dataclass(frozen=True)
class LeadIds:
    """The ids a person's lead has had: its own, and those of anonymous website leads merged
    into it, each with the outbox item that recorded the merge.

    A merged lead is deleted, and SQLite may give its id to a lead created later, so an outbox
    item names the anonymous lead only if it was written up to its merge (outbox ids grow).
    """

    lead_id: int
    merged: dict[int, int] = field(default_factory=dict)  # anonymous lead → merge item id

    def at(self, item_id: int | None) -> set[int]:
        """The ids that meant this person when outbox item `item_id` was written."""
        return {self.lead_id} | {
            lead for lead, merge in self.merged.items() if item_id is not None and item_id <= merge
        }

    @property
    def every(self) -> set[int]:
        return {self.lead_id, *self.merged}


def lead_ids(*, session: Session, lead_id: int) -> LeadIds:
    """The lead's ids, from the `lead.merged` events. (A merge target always has an email and a
    merge source never has one, so merges do not chain.)"""
    merged: dict[int, int] = {}
    items = session.exec(
        select(OutboxItem).where(OutboxItem.topic == MERGED).order_by(col(OutboxItem.id))
    ).all()
    for item in items:
        source, target = item.payload.get("from_lead_id"), item.payload.get("into_lead_id")
        if target == lead_id and isinstance(source, int) and item.id is not None:
            merged[source] = item.id
    return LeadIds(lead_id=lead_id, merged=merged)


def _text(column: Any) -> ColumnElement[str]:
    return func.lower(cast(column, Text))


def _like(value: str) -> str:
    escaped = value.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _email_patterns(emails: Iterable[str]) -> list[str]:
    """LIKE patterns for each email as typed and as JSON writes it (non-ASCII escaped)."""
    patterns: set[str] = set()
    for email in emails:
        patterns.add(_like(email))
        patterns.add(_like(json.dumps(email)[1:-1]))
    return sorted(patterns)


def _mentions(value: Any, lead_ids: Collection[int], emails: Collection[str]) -> bool:
    """Whether a JSON value names one of the leads (a `…lead_id` key or a `lead` object with
    that `id`) or contains one of the emails, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            if (
                str(key).endswith("lead_id")
                and isinstance(item, int)
                and not isinstance(item, bool)
                and item in lead_ids
            ):
                return True
            if key == "lead" and isinstance(item, dict) and item.get("id") in lead_ids:
                return True
            if _mentions(item, lead_ids, emails):
                return True
        return False
    if isinstance(value, list):
        return any(_mentions(item, lead_ids, emails) for item in value)
    if isinstance(value, str):
        folded = value.casefold()
        return any(email in folded for email in emails)
    return False


def names_lead(item: OutboxItem, ids: LeadIds) -> bool:
    """Whether an outbox item is about the person's lead (not merely quoting an email)."""
    return _mentions(item.payload, ids.at(item.id), ())


def outbox_mentions(
    *, session: Session, ids: LeadIds | None, emails: Collection[str]
) -> list[OutboxItem]:
    """Every outbox item (any status) whose payload is about the lead or carries one of the
    emails, except erasure events and their webhook deliveries. The database narrows by text;
    Python decides."""
    folded = [e.casefold() for e in emails if e]
    payload = _text(OutboxItem.payload)
    conditions: list[ColumnElement[bool]] = [
        payload.like(pattern, escape="\\") for pattern in _email_patterns(folded)
    ]
    if ids is not None:
        conditions.append(
            payload.like("%lead%") & or_(*(payload.like(f"%{int(i)}%") for i in sorted(ids.every)))
        )
    if not conditions:
        return []
    candidates = session.exec(
        select(OutboxItem)
        .where(col(OutboxItem.topic) != ERASED, or_(*conditions))
        .order_by(col(OutboxItem.id))
    ).all()
    return [
        item
        for item in candidates
        if not _erasure_news(item)
        and _mentions(item.payload, ids.at(item.id) if ids is not None else set(), folded)
    ]


def _erasure_news(item: OutboxItem) -> bool:
    """A webhook delivery telling an endpoint about an erasure (it holds ids and counts only)."""
    return item.topic == DELIVER and item.payload.get("event") == ERASED


def _scrub(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(ERASED_TEXT, value)
    if isinstance(value, dict):
        return {key: _scrub(item, pattern) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, pattern) for item in value]
    return value


# Free text and JSON where someone may have typed an email: chat messages, answers, the
# engine's bookkeeping (pending read-backs), and notifications that quote them (a webhook body
# about another lead carries that lead's answers).
_TYPED: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (Message, ("text", "payload")),
    (BantAnswer, ("raw_text", "parsed")),
    (Conversation, ("context", "outcome")),
    (OutboxItem, ("payload",)),
)


def scrub_email_mentions(*, session: Session, emails: Collection[str]) -> int:
    """Replace the emails wherever they were typed into messages, answers, conversation state or
    outbox payloads (of any lead); returns how many rows changed."""
    folded = sorted({e.strip().casefold() for e in emails if "@" in e and len(e.strip()) > 3})
    if not folded:
        return 0
    pattern = re.compile("|".join(re.escape(e) for e in folded), re.IGNORECASE)
    changed = 0
    for model, names in _TYPED:
        conditions = [
            _text(getattr(model, name)).like(p, escape="\\")
            for name in names
            for p in _email_patterns(folded)
        ]
        for row in session.exec(select(model).where(or_(*conditions))).all():
            touched = False
            for name in names:
                before = getattr(row, name)
                after = _scrub(before, pattern)
                if after != before:
                    setattr(row, name, after)
                    touched = True
            if touched:
                session.add(row)
                changed += 1
    session.flush()
    return changed
