"""A person's data on request: everything Baton holds about a lead as JSON, and its erasure.

`export_lead` lives in storage.privacy_export and is re-exported here.

Erasure keeps a **tombstone**: the lead row stays with its id, stage, owner, source campaign and
channel and timestamps, so the funnel counted from `stage_changes` does not change; every field
that describes the person or their company is cleared. Rows that only hold what the person said
or did are deleted (answers, conversations and their messages, behaviour events, the score
ledger, widget visitors, Slack thread links and post references, outbox items about the lead);
rows the funnel and approval statistics count are kept and scrubbed (stage-change reasons,
handoff comments). The audit entry is an outbox event `lead.erased` with the lead id, who and
when, and counts: no personal data. Messages Baton already posted to Slack stay in Slack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import CursorResult, delete, update
from sqlalchemy.sql import Executable
from sqlmodel import Session, col, select

from qualification.contactfields import check_email
from qualification.errors import InvalidInput, NotFound
from qualification.lifecycle import Actor
from qualification.stages import HandoffStatus
from storage.leads import find_lead_by_email, lock_lead
from storage.models import (
    BantAnswer,
    BehaviourEvent,
    Conversation,
    HandoffRequest,
    Lead,
    Message,
    RateLimitWindow,
    ScoreEntry,
    SlackPost,
    SlackThread,
    StageChange,
    Visitor,
    utcnow,
)
from storage.outbox import EVENT, enqueue
from storage.privacy_export import export_lead
from storage.privacy_refs import (
    ERASED,
    ERASED_TEXT,
    erasure_log,
    lead_ids,
    lead_rows,
    lead_slack_posts,
    names_lead,
    outbox_mentions,
    scrub_email_mentions,
)

__all__ = ["ErasureReport", "erase_by_email", "erase_lead", "erasure_log", "export_lead"]

# Lead fields that describe the person or their company; a tombstone has none of them.
PERSONAL_FIELDS: dict[str, Any] = {
    "email": None,
    "name": "",
    "title": "",
    "seniority": None,
    "company_name": "",
    "company_domain": None,
    "industry": None,
    "employee_count": None,
    "annual_revenue": None,
    "country": None,
}
SLACK_NOTE = (
    "Messages Baton already posted to Slack (handoff cards, hot-lead cards, DMs, threads) stay in"
    " Slack; delete them there if they must go too."
)


@dataclass(frozen=True)
class ErasureReport:
    """What one erasure removed or scrubbed, by kind (only kinds with something in them)."""

    lead_id: int | None
    removed: dict[str, int] = field(default_factory=dict)
    merged_lead_ids: tuple[int, ...] = ()
    audit_id: int | None = None

    @property
    def nothing_left(self) -> bool:
        """True when there was nothing (more) to erase: a second erasure says so."""
        return not self.removed

    def to_json(self) -> dict[str, Any]:
        return {
            "lead_id": self.lead_id,
            "nothing_left": self.nothing_left,
            "removed": dict(self.removed),
            "merged_lead_ids": list(self.merged_lead_ids),
            "audit_id": self.audit_id,
            "note": SLACK_NOTE,
        }


def _count(session: Session, statement: Executable) -> int:
    result = cast(CursorResult[Any], session.execute(statement))
    return int(result.rowcount or 0)


def _without_query(url: str | None) -> str | None:
    """A page URL kept on a tombstone as a content asset, without its query and fragment
    (where forms and trackers put emails and ids)."""
    if not url or "://" not in url:
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _scrub_lead(lead: Lead, now: datetime) -> int:
    cleared = 0
    for name, empty in PERSONAL_FIELDS.items():
        if getattr(lead, name) not in (None, ""):
            setattr(lead, name, empty)
            cleared += 1
    asset = _without_query(lead.source_asset)
    if asset != lead.source_asset:
        lead.source_asset = asset
        cleared += 1
    if cleared:
        lead.updated_at = now
    return cleared


def _erase_conversations(session: Session, conversation_ids: list[int]) -> dict[str, int]:
    if not conversation_ids:
        return {}
    ids = col(Conversation.id).in_(conversation_ids)
    removed = {
        "slack_threads": _count(
            session,
            delete(SlackThread).where(col(SlackThread.conversation_id).in_(conversation_ids)),
        ),
        "messages": _count(
            session, delete(Message).where(col(Message.conversation_id).in_(conversation_ids))
        ),
    }
    # Rows of other leads that point at these conversations keep their own data.
    for model in (BantAnswer, Visitor):
        session.execute(
            update(model)
            .where(col(model.conversation_id).in_(conversation_ids))
            .values(conversation_id=None)
        )
    removed["conversations"] = _count(session, delete(Conversation).where(ids))
    return removed


def _erase_visitors(session: Session, lead_id: int) -> dict[str, int]:
    visitors = lead_rows(session, Visitor, col(Visitor.lead_id) == lead_id)
    windows = 0
    for visitor in visitors:
        # The widget's per-token rate-limit counters are keyed by a prefix of the token hash.
        windows += _count(
            session,
            delete(RateLimitWindow).where(
                col(RateLimitWindow.key).like(f"widget:%:token:{visitor.token_hash[:40]}")
            ),
        )
    removed = {"visitors": _count(session, delete(Visitor).where(col(Visitor.lead_id) == lead_id))}
    removed["rate_limit_windows"] = windows
    return removed


def _scrub_audit_rows(
    session: Session, lead_id: int, actor: Actor, now: datetime
) -> dict[str, int]:
    """Keep the rows the funnel and approval numbers count; drop their free text."""
    cancelled = _count(
        session,
        update(HandoffRequest)
        .where(
            col(HandoffRequest.lead_id) == lead_id,
            col(HandoffRequest.status) == HandoffStatus.PENDING,
        )
        .values(
            status=HandoffStatus.CANCELLED,
            decided_by=str(actor)[:200],
            decided_at=now,
            comment=ERASED_TEXT,
        ),
    )
    comments = _count(
        session,
        update(HandoffRequest)
        .where(
            col(HandoffRequest.lead_id) == lead_id,
            col(HandoffRequest.comment) != "",
            col(HandoffRequest.comment) != ERASED_TEXT,
        )
        .values(comment=ERASED_TEXT),
    )
    reasons = _count(
        session,
        update(StageChange)
        .where(col(StageChange.lead_id) == lead_id, col(StageChange.reason) != ERASED_TEXT)
        .values(reason=ERASED_TEXT),
    )
    return {"handoffs_cancelled": cancelled, "handoff_comments": comments, "stage_reasons": reasons}


def erase_lead(*, session: Session, lead_id: int, actor: Actor) -> ErasureReport:
    """Delete or scrub every row holding the lead's personal data, in the caller's transaction
    (the caller commits), and queue the audit entry. Erasing again finds nothing left and
    writes no second entry. NotFound for an unknown id."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"no lead with id {lead_id}")
    # Conversations first, then the lead: the order a chat turn takes them in, so an erasure
    # and a turn of the same person wait for each other instead of deadlocking.
    conversation_ids = [
        c
        for c in session.exec(
            select(Conversation.id)
            .where(Conversation.lead_id == lead_id)
            .order_by(col(Conversation.id))
            .with_for_update()
        )
        if c is not None
    ]
    lock_lead(session=session, lead=lead)
    now = utcnow()
    ids = lead_ids(session=session, lead_id=lead_id)
    merged = set(ids.merged)
    emails = [lead.email] if lead.email else []
    # Notifications about the lead go; others that merely quote its email are scrubbed below.
    about = [
        item
        for item in outbox_mentions(session=session, ids=ids, emails=emails)
        if names_lead(item, ids)
    ]
    removed: dict[str, int] = {"lead_fields": _scrub_lead(lead, now)}
    post_ids = [post.id for post in lead_slack_posts(session=session, lead_id=lead_id)]
    removed["slack_posts"] = _count(
        session, delete(SlackPost).where(col(SlackPost.id).in_(post_ids))
    )
    removed.update(_erase_visitors(session, lead_id))
    removed["answers"] = _count(
        session, delete(BantAnswer).where(col(BantAnswer.lead_id) == lead_id)
    )
    removed.update(_erase_conversations(session, conversation_ids))
    removed["events"] = _count(
        session, delete(BehaviourEvent).where(col(BehaviourEvent.lead_id) == lead_id)
    )
    removed["score_entries"] = _count(
        session, delete(ScoreEntry).where(col(ScoreEntry.lead_id) == lead_id)
    )
    lead.score = 0
    lead.rules_version = None
    removed.update(_scrub_audit_rows(session, lead_id, actor, now))
    for item in about:
        session.delete(item)
    removed["outbox_items"] = len(about)
    session.add(lead)
    session.flush()
    removed["email_mentions"] = scrub_email_mentions(session=session, emails=emails)
    return _finish(session, lead_id, removed, merged, actor, now)


def _finish(
    session: Session,
    lead_id: int | None,
    removed: dict[str, int],
    merged: set[int],
    actor: Actor,
    now: datetime,
) -> ErasureReport:
    removed = {kind: n for kind, n in removed.items() if n}
    if not removed:
        return ErasureReport(lead_id=lead_id, merged_lead_ids=tuple(sorted(merged)))
    audit = enqueue(
        session=session,
        kind=EVENT,
        topic=ERASED,
        payload={
            "lead_id": lead_id,
            "actor": str(actor),
            "at": now.isoformat(),
            "removed": removed,
        },
    )
    session.flush()
    return ErasureReport(
        lead_id=lead_id, removed=removed, merged_lead_ids=tuple(sorted(merged)), audit_id=audit.id
    )


def erase_by_email(*, session: Session, email: str, actor: Actor) -> ErasureReport:
    """Erase the lead with this email; without one, still scrub the address wherever it was
    typed or quoted (so asking twice is harmless and the second answer is 'nothing left')."""
    lead = find_lead_by_email(session=session, email=email)
    if lead is not None and lead.id is not None:
        return erase_lead(session=session, lead_id=lead.id, actor=actor)
    try:
        address = check_email(email)
    except ValueError as exc:  # never sweep the database for an arbitrary string
        raise InvalidInput(str(exc)) from None
    removed = {"email_mentions": scrub_email_mentions(session=session, emails=[address])}
    return _finish(session, None, removed, set(), actor, utcnow())
