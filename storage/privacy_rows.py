"""The row-level steps of an erasure (storage.privacy): each deletes or scrubs one kind of row
of a lead and says how many it touched."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import CursorResult, delete, or_, update
from sqlalchemy.sql import Executable
from sqlmodel import Session, col, select

from qualification.lifecycle import Actor
from qualification.stages import HandoffStatus
from storage.models import (
    BantAnswer,
    Conversation,
    FollowUp,
    HandoffRequest,
    Lead,
    LiveChat,
    Message,
    RateLimitWindow,
    SlackThread,
    StageChange,
    Visitor,
)
from storage.privacy_refs import ERASED_TEXT, lead_rows

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


def count_rows(session: Session, statement: Executable) -> int:
    """Run a DELETE or UPDATE; how many rows it touched."""
    result = cast(CursorResult[Any], session.execute(statement))
    return int(result.rowcount or 0)


def _without_query(url: str | None) -> str | None:
    """A page URL kept on a tombstone as a content asset, without its query and fragment
    (where forms and trackers put emails and ids)."""
    if not url or "://" not in url:
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def scrub_lead(lead: Lead, now: datetime) -> int:
    """Clear the fields that describe the person; how many had a value."""
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


def erase_live_chats(session: Session, lead_id: int, conversation_ids: list[int]) -> dict[str, int]:
    """The lead's live chats and follow-up requests (their transcripts are the conversations'
    messages, which go next)."""
    chat_ids = [
        i
        for i in session.exec(
            select(LiveChat.id).where(
                or_(
                    col(LiveChat.lead_id) == lead_id,
                    col(LiveChat.conversation_id).in_(conversation_ids),
                )
            )
        ).all()
        if i is not None
    ]
    follow_ups = count_rows(
        session,
        delete(FollowUp).where(
            or_(
                col(FollowUp.lead_id) == lead_id,
                col(FollowUp.conversation_id).in_(conversation_ids),
                col(FollowUp.live_chat_id).in_(chat_ids),
            )
        ),
    )
    chats = count_rows(session, delete(LiveChat).where(col(LiveChat.id).in_(chat_ids)))
    return {"live_chats": chats, "follow_ups": follow_ups}


def erase_conversations(session: Session, conversation_ids: list[int]) -> dict[str, int]:
    """The conversations with their messages and Slack thread links."""
    if not conversation_ids:
        return {}
    ids = col(Conversation.id).in_(conversation_ids)
    removed = {
        "slack_threads": count_rows(
            session,
            delete(SlackThread).where(col(SlackThread.conversation_id).in_(conversation_ids)),
        ),
        "messages": count_rows(
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
    removed["conversations"] = count_rows(session, delete(Conversation).where(ids))
    return removed


def erase_visitors(session: Session, lead_id: int) -> dict[str, int]:
    """The lead's widget visitors and their rate-limit counters."""
    visitors = lead_rows(session, Visitor, col(Visitor.lead_id) == lead_id)
    windows = 0
    for visitor in visitors:
        # The widget's per-token rate-limit counters are keyed by a prefix of the token hash.
        windows += count_rows(
            session,
            delete(RateLimitWindow).where(
                col(RateLimitWindow.key).like(f"widget:%:token:{visitor.token_hash[:40]}")
            ),
        )
    removed = {
        "visitors": count_rows(session, delete(Visitor).where(col(Visitor.lead_id) == lead_id))
    }
    removed["rate_limit_windows"] = windows
    return removed


def scrub_audit_rows(session: Session, lead_id: int, actor: Actor, now: datetime) -> dict[str, int]:
    """Keep the rows the funnel and approval numbers count; drop their free text."""
    cancelled = count_rows(
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
    comments = count_rows(
        session,
        update(HandoffRequest)
        .where(
            col(HandoffRequest.lead_id) == lead_id,
            col(HandoffRequest.comment) != "",
            col(HandoffRequest.comment) != ERASED_TEXT,
        )
        .values(comment=ERASED_TEXT),
    )
    reasons = count_rows(
        session,
        update(StageChange)
        .where(col(StageChange.lead_id) == lead_id, col(StageChange.reason) != ERASED_TEXT)
        .values(reason=ERASED_TEXT),
    )
    return {"handoffs_cancelled": cancelled, "handoff_comments": comments, "stage_reasons": reasons}
