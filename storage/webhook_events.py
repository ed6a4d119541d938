"""Fanning domain events out to webhook endpoints, with a snapshot of the lead at that moment.

`fan_out` runs inside `storage.outbox.enqueue`, in the transaction that changes the lead, and
queues one `webhook.deliver` item per active endpoint that receives the event. The item carries
the whole body (lead, answers, score breakdown, what changed), so a delivery made an hour later,
or retried, still says what was true when the event happened.

Every event is about one lead. `lead.erased` is the exception to the snapshot: its data is the
tombstone's id, when and how many rows went, and nothing about the person.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from storage.answers import current_answers
from storage.models import HandoffRequest, Lead, OutboxItem, ScoreEntry, User
from storage.webhooks import DELIVER, EVENTS, KIND, active_endpoints_for, delivery_key

EVENT_KIND = "event"  # storage.outbox.EVENT (not imported: that module imports this one)
SCORE_CATEGORIES = ("fit", "behaviour", "bant", "decay")


def fan_out(*, session: Session, event: OutboxItem) -> list[OutboxItem]:
    """Queue a delivery of `event` (a newly queued domain event) to each endpoint that wants it."""
    if event.kind != EVENT_KIND or event.topic not in EVENTS:
        return []
    if event.payload.get("lead_id") is None:  # an email scrubbed with no lead on file
        return []
    with session.no_autoflush:  # no endpoints, no change to when the caller's rows are written
        endpoints = active_endpoints_for(session=session, event=event.topic)
    if not endpoints:
        return []
    session.add(event)
    session.flush()
    assert event.id is not None
    body = {
        "event": event.topic,
        "event_id": event.id,
        "occurred_at": event.created_at.isoformat(),
        "data": event_data(session=session, topic=event.topic, payload=event.payload),
    }
    deliveries = []
    for endpoint in endpoints:
        assert endpoint.id is not None
        item = OutboxItem(
            kind=KIND,
            topic=DELIVER,
            payload={"endpoint_id": endpoint.id, **body},
            dedupe_key=delivery_key(endpoint.id, event.id),
        )
        session.add(item)
        deliveries.append(item)
    session.flush()
    return deliveries


def event_data(*, session: Session, topic: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The lead as it is now, and what the event says happened to it."""
    if topic == "lead.erased":
        return _erasure(payload)
    lead = session.get(Lead, int(payload["lead_id"]))
    if lead is None:
        raise ValueError(f"event {topic} names lead {payload['lead_id']}, which does not exist")
    data: dict[str, Any] = {
        "lead": lead_snapshot(session=session, lead=lead),
        "answers": answers_snapshot(session=session, lead_id=lead.id or 0),
        "score": score_snapshot(session=session, lead=lead),
    }
    if topic == "lead.stage_changed":
        data["stage_change"] = {
            "old_stage": payload["from"],
            "new_stage": payload["to"],
            "event": payload["event"],
            "actor": payload["actor"],
            "reason": payload["reason"],
            "changed_at": payload["at"],
        }
    elif topic in ("handoff.requested", "handoff.decided"):
        data["handoff"] = _handoff(session=session, payload=payload)
    elif topic == "conversation.completed":
        data["conversation"] = _conversation(payload)
    return data


def lead_snapshot(*, session: Session, lead: Lead) -> dict[str, Any]:
    owner = session.get(User, lead.owner_id) if lead.owner_id else None
    return {
        "id": lead.id,
        "email": lead.email,
        "name": lead.name,
        "title": lead.title,
        "seniority": lead.seniority,
        "company": {
            "name": lead.company_name,
            "domain": lead.company_domain,
            "industry": lead.industry,
            "employee_count": lead.employee_count,
            "annual_revenue": lead.annual_revenue,
            "country": lead.country,
        },
        "source": {
            "campaign": lead.source_campaign,
            "asset": lead.source_asset,
            "channel": lead.source_channel,
        },
        "stage": lead.stage.value,
        "score": lead.score,
        "owner": {"email": owner.email, "name": owner.name} if owner else None,
        "created_at": lead.created_at.isoformat(),
        "updated_at": lead.updated_at.isoformat(),
    }


def answers_snapshot(*, session: Session, lead_id: int) -> dict[str, Any]:
    """The answer that counts for each BANT dimension, raw and parsed."""
    return {
        dimension.value: {
            "text": answer.raw_text,
            "summary": answer.parsed.get("summary", ""),
            "status": answer.status,
            "value": answer.parsed.get("value"),
            "confidence": answer.confidence,
            "given_by": answer.given_by.value,
            "answered_at": answer.created_at.isoformat(),
        }
        for dimension, answer in current_answers(session=session, lead_id=lead_id).items()
    }


def score_snapshot(*, session: Session, lead: Lead) -> dict[str, Any]:
    """The score with its breakdown: net points per category and per rule."""
    entries = session.exec(
        select(ScoreEntry).where(ScoreEntry.lead_id == lead.id).order_by(col(ScoreEntry.id))
    ).all()
    by_category = dict.fromkeys(SCORE_CATEGORIES, 0)
    by_rule: dict[str, dict[str, Any]] = {}
    for entry in entries:
        by_category[entry.category] = by_category.get(entry.category, 0) + entry.points
        rule = by_rule.setdefault(
            entry.rule_id, {"rule": entry.rule_id, "category": entry.category, "points": 0}
        )
        rule["points"] += entry.points
        if entry.note and not entry.note.startswith("reversed"):
            rule["note"] = entry.note
    return {
        "total": lead.score,
        "rules_version": lead.rules_version,
        "by_category": by_category,
        "rules": [rule for rule in by_rule.values() if rule["points"] != 0],
    }


def _handoff(*, session: Session, payload: dict[str, Any]) -> dict[str, Any]:
    request = session.get(HandoffRequest, int(payload["request_id"]), populate_existing=True)
    if request is None:
        return {"id": payload["request_id"], "status": payload.get("status", "pending")}
    return {
        "id": request.id,
        "status": request.status.value,
        "requested_by": request.requested_by,
        "requested_at": request.created_at.isoformat(),
        "score_at_request": request.score_at_request,
        "decided_by": request.decided_by,
        "decided_at": request.decided_at.isoformat() if request.decided_at else None,
        "comment": request.comment,
    }


def _erasure(payload: dict[str, Any]) -> dict[str, Any]:
    """Only ids, time and counts: the lead's own data is gone, and must not travel again."""
    return {
        "lead": {"id": int(payload["lead_id"])},
        "erasure": {
            "erased_at": payload["at"],
            "removed": {str(kind): int(n) for kind, n in payload["removed"].items()},
        },
    }


def _conversation(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": payload["conversation_id"],
        "channel": payload.get("channel"),
        "flow": payload.get("flow"),
        "outcome": payload.get("outcome"),
    }
