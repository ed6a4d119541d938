"""A person's data on request: everything Baton holds about a lead as JSON, and its erasure.

`export_lead` lives in storage.privacy_export and is re-exported here.

Erasure keeps a **tombstone**: the lead row stays with its id, stage, owner, source campaign and
channel and timestamps, so the funnel counted from `stage_changes` does not change; every field
that describes the person or their company is cleared. Rows that only hold what the person said
or did are deleted (answers, conversations and their messages, behaviour events, the score
ledger, widget visitors, live chats and follow-up requests, Slack thread links and post
references, outbox items about the lead); rows the funnel and approval statistics count are kept
and scrubbed (stage-change reasons, handoff comments). Messages Baton already posted to Slack
stay in Slack.

The audit entry is a row of the erasure log (storage.privacy_log: the tombstone's id, who, when,
on what basis, and counts) and an outbox event `lead.erased` with the same, which webhook
endpoints subscribed to it receive as ids, time and counts only: no personal data either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from qualification.contactfields import check_email
from qualification.errors import InvalidInput, NotFound
from qualification.lifecycle import Actor
from storage.leads import find_lead_by_email, lock_lead
from storage.models import (
    BantAnswer,
    BehaviourEvent,
    Conversation,
    Lead,
    ScoreEntry,
    SlackPost,
    utcnow,
)
from storage.outbox import EVENT, enqueue
from storage.privacy_export import export_lead
from storage.privacy_log import REQUEST, erasure_log, record_erasure
from storage.privacy_refs import (
    ERASED,
    lead_ids,
    lead_slack_posts,
    names_lead,
    outbox_mentions,
    scrub_email_mentions,
)
from storage.privacy_rows import (
    count_rows,
    erase_conversations,
    erase_live_chats,
    erase_visitors,
    scrub_audit_rows,
    scrub_lead,
)

__all__ = ["ErasureReport", "erase_by_email", "erase_lead", "erasure_log", "export_lead"]

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
    erasure_id: int | None = None  # the erasure log's entry
    audit_id: int | None = None  # the `lead.erased` outbox event

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
            "erasure_id": self.erasure_id,
            "audit_id": self.audit_id,
            "note": SLACK_NOTE,
        }


def erase_lead(
    *, session: Session, lead_id: int, actor: Actor, basis: str = REQUEST
) -> ErasureReport:
    """Delete or scrub every row holding the lead's personal data, in the caller's transaction
    (the caller commits), and log it (erasure log and `lead.erased` event). Erasing again finds
    nothing left and logs nothing. NotFound for an unknown id."""
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
    removed: dict[str, int] = {"lead_fields": scrub_lead(lead, now)}
    post_ids = [post.id for post in lead_slack_posts(session=session, lead_id=lead_id)]
    removed["slack_posts"] = count_rows(
        session, delete(SlackPost).where(col(SlackPost.id).in_(post_ids))
    )
    removed.update(erase_visitors(session, lead_id))
    removed["answers"] = count_rows(
        session, delete(BantAnswer).where(col(BantAnswer.lead_id) == lead_id)
    )
    removed.update(erase_live_chats(session, lead_id, conversation_ids))
    removed.update(erase_conversations(session, conversation_ids))
    removed["events"] = count_rows(
        session, delete(BehaviourEvent).where(col(BehaviourEvent.lead_id) == lead_id)
    )
    removed["score_entries"] = count_rows(
        session, delete(ScoreEntry).where(col(ScoreEntry.lead_id) == lead_id)
    )
    lead.score = 0
    lead.rules_version = None
    removed.update(scrub_audit_rows(session, lead_id, actor, now))
    for item in about:
        session.delete(item)
    removed["outbox_items"] = len(about)
    session.add(lead)
    session.flush()
    removed["email_mentions"] = scrub_email_mentions(session=session, emails=emails)
    return _finish(session, lead_id, removed, merged, actor=actor, basis=basis, at=now)


def _finish(
    session: Session,
    lead_id: int | None,
    removed: dict[str, int],
    merged: set[int],
    *,
    actor: Actor,
    basis: str,
    at: datetime,
) -> ErasureReport:
    """Log an erasure that removed something; one that found nothing left logs nothing."""
    removed = {kind: n for kind, n in removed.items() if n}
    if not removed:
        return ErasureReport(lead_id=lead_id, merged_lead_ids=tuple(sorted(merged)))
    entry = record_erasure(
        session=session,
        lead_id=lead_id,
        actor=actor,
        basis=basis,
        removed=removed,
        at=at,
    )
    audit = enqueue(
        session=session,
        kind=EVENT,
        topic=ERASED,
        payload={
            "lead_id": lead_id,
            "erasure_id": entry.id,
            "actor": entry.actor,
            "basis": entry.basis,
            "at": at.isoformat(),
            "removed": removed,
        },
    )
    session.flush()
    return ErasureReport(
        lead_id=lead_id,
        removed=removed,
        merged_lead_ids=tuple(sorted(merged)),
        erasure_id=entry.id,
        audit_id=audit.id,
    )


def erase_by_email(
    *, session: Session, email: str, actor: Actor, basis: str = REQUEST
) -> ErasureReport:
    """Erase the lead with this email; without one, still scrub the address wherever it was
    typed or quoted (so asking twice is harmless and the second answer is 'nothing left')."""
    lead = find_lead_by_email(session=session, email=email)
    if lead is not None and lead.id is not None:
        return erase_lead(session=session, lead_id=lead.id, actor=actor, basis=basis)
    try:
        address = check_email(email)
    except ValueError as exc:  # never sweep the database for an arbitrary string
        raise InvalidInput(str(exc)) from None
    removed = {"email_mentions": scrub_email_mentions(session=session, emails=[address])}
    return _finish(session, None, removed, set(), actor=actor, basis=basis, at=utcnow())
