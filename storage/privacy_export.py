"""Everything Baton holds about one person, as JSON: the answer to a data access request."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, SQLModel, col, select

from qualification.errors import NotFound
from storage.models import (
    BantAnswer,
    BehaviourEvent,
    Conversation,
    FollowUp,
    HandoffRequest,
    Lead,
    LiveChat,
    Message,
    ScoreEntry,
    SlackThread,
    StageChange,
    Visitor,
    Widget,
    utcnow,
)
from storage.privacy_log import erasure_log
from storage.privacy_refs import (
    lead_ids,
    lead_rows,
    lead_slack_posts,
    outbox_mentions,
)


def _dump(row: SQLModel, *, exclude: set[str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = row.model_dump(mode="json", exclude=exclude)
    return data


def _messages(session: Session, conversation_id: int | None) -> list[dict[str, Any]]:
    rows = session.exec(
        select(Message).where(Message.conversation_id == conversation_id).order_by(col(Message.seq))
    ).all()
    return [_dump(m, exclude={"id", "conversation_id"}) for m in rows]


def export_lead(*, session: Session, lead_id: int) -> dict[str, Any]:
    """Everything Baton holds about the lead (and the anonymous leads merged into it), as
    JSON-ready data with ISO 8601 datetimes. NotFound for an unknown id.

    Lead fields, stage history, every answer (superseded ones too), every conversation with
    its messages, behaviour events, the score ledger, handoff requests, widget visitors with
    their page context, Slack threads and posts, live chats and follow-up requests, outbox
    items about the lead, and the erasure log's entries for it.
    """
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(f"no lead with id {lead_id}")
    ids = lead_ids(session=session, lead_id=lead_id)
    conversations = lead_rows(session, Conversation, col(Conversation.lead_id) == lead_id)
    conversation_ids = [c.id for c in conversations]
    widgets = {w.id: w.public_id for w in session.exec(select(Widget)).all()}
    outbox = outbox_mentions(session=session, ids=ids, emails=[lead.email] if lead.email else [])

    def rows(model: type[SQLModel], column: Any) -> list[dict[str, Any]]:
        return [_dump(row) for row in lead_rows(session, model, column == lead_id)]

    return {
        "exported_at": utcnow().isoformat(),
        "lead": _dump(lead),
        "merged_lead_ids": sorted(ids.merged),
        "stage_history": rows(StageChange, col(StageChange.lead_id)),
        "answers": rows(BantAnswer, col(BantAnswer.lead_id)),
        "conversations": [
            {**_dump(c), "messages": _messages(session, c.id)} for c in conversations
        ],
        "behaviour_events": rows(BehaviourEvent, col(BehaviourEvent.lead_id)),
        "score_ledger": rows(ScoreEntry, col(ScoreEntry.lead_id)),
        "handoff_requests": rows(HandoffRequest, col(HandoffRequest.lead_id)),
        "visitors": [
            {**_dump(v, exclude={"token_hash", "widget_id"}), "widget": widgets.get(v.widget_id)}
            for v in lead_rows(session, Visitor, col(Visitor.lead_id) == lead_id)
        ],
        "slack_threads": [
            _dump(t)
            for t in lead_rows(
                session, SlackThread, col(SlackThread.conversation_id).in_(conversation_ids)
            )
        ],
        "slack_posts": [_dump(p) for p in lead_slack_posts(session=session, lead_id=lead_id)],
        "outbox": [_dump(item, exclude={"last_error"}) for item in outbox],
        "live_chats": rows(LiveChat, col(LiveChat.lead_id)),
        "follow_ups": rows(FollowUp, col(FollowUp.lead_id)),
        "erasures": erasure_log(session=session, lead_id=lead_id),
    }
