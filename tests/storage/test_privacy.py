"""Export and erasure of a person's data, over every table Baton has."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from qualification.errors import InvalidInput, NotFound
from qualification.lifecycle import Actor, ActorKind, StageEvent
from qualification.stages import EventKind, GivenBy, HandoffStatus, Role
from storage.events import record_event
from storage.funnel import funnel_week
from storage.handoff_reminders import due_reminders
from storage.handoffs import request_handoff
from storage.leads import get_lead, move_stage
from storage.models import (
    BantAnswer,
    BehaviourEvent,
    Conversation,
    Erasure,
    HandoffRequest,
    Lead,
    Message,
    OutboxItem,
    ScoreEntry,
    StageChange,
)
from storage.privacy import erase_by_email, erase_lead, erasure_log, export_lead
from storage.privacy_refs import ERASED_TEXT
from storage.privacy_rows import PERSONAL_FIELDS
from storage.webhooks import DELIVER
from tests.factories import make_lead, make_user
from tests.storage.privacy_seed import EMAIL, MARKER, Person, seed_person, traces

OFFICER = Actor(kind=ActorKind.USER, label="dpo@baton.example", user_id=None)


@pytest.fixture
def rt(database_url: str) -> Iterator[Runtime]:
    runtime = build_runtime(Settings(database_url=database_url))
    yield runtime
    runtime.engine.dispose()


@pytest.fixture
def person(rt: Runtime) -> Person:
    return seed_person(rt)


def _funnel(rt: Runtime) -> tuple[object, ...]:
    now = datetime.now(UTC)
    with rt.session() as session:
        week = funnel_week(session=session, start=now - timedelta(days=7), end=now + timedelta(1))
        by_stage = session.exec(
            select(Lead.stage, func.count()).group_by(col(Lead.stage)).order_by(col(Lead.stage))
        ).all()
        moves = session.exec(select(func.count()).select_from(StageChange)).one()
    return week.entered, week.sal_decided, week.sal_to_sql, tuple(by_stage), moves


def test_the_export_holds_everything_about_the_person(rt: Runtime, person: Person) -> None:
    with rt.session() as session:
        data = export_lead(session=session, lead_id=person.lead_id)
    text = json.dumps(data)  # JSON-serialisable as it is
    assert data["lead"]["email"] == EMAIL and MARKER in data["lead"]["name"]
    assert data["merged_lead_ids"] == [person.anonymous_lead_id]
    datetime.fromisoformat(data["exported_at"])
    datetime.fromisoformat(data["lead"]["created_at"])

    answers = data["answers"]
    assert {a["dimension"] for a in answers} >= {"budget", "authority", "need", "timeline"}
    need = [a for a in answers if a["dimension"] == "need"]
    assert [a["given_by"] for a in need] == ["prospect", "sdr"]
    assert [a["superseded"] for a in need] == [True, False]
    assert all(MARKER in a["raw_text"] for a in need)

    channels = sorted(c["channel"] for c in data["conversations"])
    assert channels == ["slack", "slack", "web"]
    web = next(c for c in data["conversations"] if c["channel"] == "web")
    said = [m["text"] for m in web["messages"] if m["direction"] == "in"]
    assert f"Morgan {MARKER}" in said and EMAIL in said
    assert any(
        MARKER in m["text"]
        for c in data["conversations"]
        for m in c["messages"]
        if m["author"] == "sdr"
    )

    kinds = {e["kind"] for e in data["behaviour_events"]}
    assert kinds >= {"content_download", "visit"}  # the visit came from the merged visitor
    download = next(e for e in data["behaviour_events"] if e["kind"] == "content_download")
    assert download["properties"]["utm"] == {"term": MARKER}
    assert sum(e["points"] for e in data["score_ledger"]) == data["lead"]["score"]
    assert [s["to_stage"] for s in data["stage_history"]] == ["mql", "sal"]
    assert [r["id"] for r in data["handoff_requests"]] == [person.request_id]
    assert MARKER in data["handoff_requests"][0]["comment"]
    (visitor,) = data["visitors"]
    assert visitor["widget"] == "site" and MARKER in visitor["page_context"]["url"]
    assert "token_hash" not in visitor
    assert [t["channel"] for t in data["slack_threads"]] == ["D0SDR0001"]
    assert {p["subject"] for p in data["slack_posts"]} == {"hot_lead", "handoff"}
    topics = {item["topic"] for item in data["outbox"]}
    assert {"lead.merged", "lead.stage_changed", "handoff.decided", "webhook.deliver"} <= topics
    (chat,) = data["live_chats"]
    assert MARKER in chat["source_page"]
    assert [f["live_chat_id"] for f in data["follow_ups"]] == [chat["id"]]
    assert data["erasures"] == []
    assert text.count(MARKER) > 20


def test_erasure_leaves_no_trace_and_keeps_the_funnel(rt: Runtime, person: Person) -> None:
    with rt.session() as session:
        assert traces(session, MARKER, EMAIL)  # the scan finds the seeded data
        stage_before = session.get(Lead, person.lead_id).stage  # type: ignore[union-attr]
    funnel_before = _funnel(rt)

    with rt.session() as session:
        report = erase_by_email(session=session, email=EMAIL.upper(), actor=OFFICER)
        session.commit()
    assert report.lead_id == person.lead_id
    assert report.merged_lead_ids == (person.anonymous_lead_id,)
    for kind in (
        "lead_fields", "answers", "conversations", "messages", "events", "score_entries",
        "stage_reasons", "handoff_comments", "visitors", "slack_threads", "slack_posts",
        "outbox_items", "email_mentions", "live_chats", "follow_ups",
    ):  # fmt: skip
        assert report.removed.get(kind, 0) > 0, kind

    with rt.session() as session:
        assert traces(session, MARKER, EMAIL) == []
        tombstone = session.get(Lead, person.lead_id)
        assert tombstone is not None and tombstone.stage is stage_before
        assert tombstone.email is None and tombstone.name == "" and tombstone.company_name == ""
        assert tombstone.source_campaign == "spring-webinar" and tombstone.source_channel == "ads"
        assert tombstone.source_asset == "https://www.example.com/pricing"  # query dropped
        assert tombstone.score == 0
        reasons = session.exec(
            select(StageChange.reason).where(StageChange.lead_id == person.lead_id)
        ).all()
        assert reasons and set(reasons) == {ERASED_TEXT}
        request = session.get(HandoffRequest, person.request_id)
        assert request is not None and request.status is HandoffStatus.REJECTED
        assert request.comment == ERASED_TEXT
        # The colleague's own words stay; only the address they quoted is gone.
        quoted = session.exec(
            select(BantAnswer.raw_text).where(BantAnswer.lead_id == person.colleague_id)
        ).one()
        assert quoted == f"Ask {ERASED_TEXT} about our data entry problem, she owns the process"
        assert session.get(Lead, person.colleague_id) is not None
        # On SQLite the colleague may have the merged visitor's old id: their news stays.
        colleague_news = session.exec(
            select(OutboxItem.payload).where(OutboxItem.topic == "lead.stage_changed")
        ).all()
        assert [p["lead_id"] for p in colleague_news] == [person.colleague_id]
        (entry,) = erasure_log(session=session)
        event = session.get(OutboxItem, report.audit_id)
        (news,) = _erasure_deliveries(session)
    assert _funnel(rt) == funnel_before
    assert entry["id"] == report.erasure_id and entry["lead_id"] == person.lead_id
    assert entry["actor"] == "user:dpo@baton.example" and entry["basis"] == "request"
    assert entry["removed"] == report.removed
    datetime.fromisoformat(entry["erased_at"])
    assert MARKER.casefold() not in json.dumps(entry).casefold()
    # The outbox event says the same, and the CRM endpoint (subscribed to *) gets ids and counts.
    assert event is not None and event.topic == "lead.erased"
    assert event.payload["erasure_id"] == report.erasure_id
    assert event.payload["removed"] == report.removed
    assert news.status == "pending" and news.payload["event_id"] == report.audit_id
    assert news.payload["data"] == {
        "lead": {"id": person.lead_id},
        "erasure": {"erased_at": entry["erased_at"], "removed": report.removed},
    }

    with rt.session() as session:
        exported = export_lead(session=session, lead_id=person.lead_id)
    assert exported["answers"] == exported["conversations"] == exported["outbox"] == []
    assert exported["live_chats"] == exported["follow_ups"] == []
    assert exported["erasures"] == [entry]


def test_erasing_again_finds_nothing_left(rt: Runtime, person: Person) -> None:
    with rt.session() as session:
        first = erase_lead(session=session, lead_id=person.lead_id, actor=OFFICER)
        session.commit()
    assert not first.nothing_left
    with rt.session() as session:
        again = erase_lead(session=session, lead_id=person.lead_id, actor=OFFICER)
        by_email = erase_by_email(session=session, email=EMAIL, actor=OFFICER)
        session.commit()
        assert len(erasure_log(session=session)) == 1
        # The news of the first erasure is not itself taken for data about the person.
        (news,) = _erasure_deliveries(session)
        assert news.status == "pending"
    assert again.nothing_left and again.removed == {} and again.audit_id is None
    assert again.erasure_id is None
    assert by_email.nothing_left and by_email.lead_id is None


def _erasure_deliveries(session: Session) -> list[OutboxItem]:
    items = session.exec(
        select(OutboxItem).where(OutboxItem.topic == DELIVER).order_by(col(OutboxItem.id))
    ).all()
    return [item for item in items if item.payload["event"] == "lead.erased"]


def test_the_erasure_log_has_the_counts_and_nothing_about_the_person(rt: Runtime) -> None:
    name, email, company = "Wilma Quillfeather", "wilma.q@quill.example", "Quillfeather Ltd"
    with rt.session() as session:
        lead = make_lead(
            session, email=email, name=name, title="COO", company_name=company, country="NZ"
        )
        assert lead.id is not None
        rt.dialogs.start(session=session, lead=lead, channel="web", given_by=GivenBy.PROSPECT)
        record_event(
            session=session,
            lead=lead,
            kind=EventKind.DEMO_REQUEST,
            occurred_at=datetime.now(UTC),
            rules=rt.rules,
            now=datetime.now(UTC),
            idempotency_key="demo-wilma",
            properties={"note": f"{name} wants a demo"},
        )
        session.commit()
        lead_id = lead.id
        filled = [f for f, empty in PERSONAL_FIELDS.items() if getattr(lead, f) not in (None, "")]
        before = {
            "lead_fields": len(filled),
            "conversations": _rows(session, Conversation, Conversation.lead_id == lead_id),
            "messages": _rows(session, Message),
            "events": _rows(session, BehaviourEvent, BehaviourEvent.lead_id == lead_id),
            "score_entries": _rows(session, ScoreEntry, ScoreEntry.lead_id == lead_id),
            "stage_reasons": _rows(session, StageChange, StageChange.lead_id == lead_id),
            "outbox_items": _rows(session, OutboxItem),
        }
    assert all(before.values()), before  # every kind has something to erase

    with rt.session() as session:
        report = erase_lead(session=session, lead_id=lead_id, actor=Actor.system("cli (ops)"))
        session.commit()
    with rt.session() as session:
        (row,) = session.exec(select(Erasure)).all()
        assert traces(session, name, email, company, "Quillfeather") == []
    assert row.id == report.erasure_id and row.lead_id == lead_id
    assert row.removed == before == report.removed
    assert (row.actor, row.basis) == ("system:cli (ops)", "request")
    assert abs(row.erased_at - datetime.now(UTC)) < timedelta(minutes=1)


def _rows(session: Session, model: type, *where: object) -> int:
    return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def test_an_erased_pending_handoff_is_cancelled_and_never_reminded(rt: Runtime) -> None:
    with rt.session() as session:
        sdr = make_user(session, role=Role.SDR)
        sdr_actor = Actor(kind=ActorKind.USER, label=sdr.email, user_id=sdr.id)
        lead = make_lead(session, email="pending@example.org", name="Pat Pending")
        assert lead.id is not None
        prompt = rt.dialogs.start(
            session=session, lead=lead, channel="web", given_by=GivenBy.PROSPECT
        )
        assert prompt.step_id == "need"
        lead = get_lead(session=session, lead_id=lead.id)
        move_stage(
            session=session, lead=lead, event=StageEvent.ACCEPT, actor=sdr_actor, reason="ok"
        )
        request = request_handoff(session=session, lead=lead, actor=sdr_actor, rules=rt.rules)
        session.commit()
        assert request.status is HandoffStatus.PENDING
        report = erase_lead(session=session, lead_id=lead.id, actor=OFFICER)
        session.commit()
        assert report.removed["handoffs_cancelled"] == 1
        cancelled = session.get(HandoffRequest, request.id)
        assert cancelled is not None and cancelled.status is HandoffStatus.CANCELLED
        assert cancelled.decided_by == "user:dpo@baton.example"
        later = datetime.now(UTC) + timedelta(days=2)
        assert due_reminders(session=session, now=later, every=timedelta(minutes=1)) == []
        pending = session.exec(select(OutboxItem.topic).where(OutboxItem.status == "pending")).all()
        assert pending == ["lead.erased"]  # nothing about the lead is left to send
        assert session.exec(select(Conversation)).all() == []


def test_unknown_leads_and_bad_addresses_are_refused(rt: Runtime) -> None:
    with rt.session() as session:
        with pytest.raises(NotFound):
            export_lead(session=session, lead_id=404)
        with pytest.raises(NotFound):
            erase_lead(session=session, lead_id=404, actor=OFFICER)
        with pytest.raises(InvalidInput):
            erase_by_email(session=session, email="a", actor=OFFICER)
        nobody = erase_by_email(session=session, email="nobody@example.org", actor=OFFICER)
    assert nobody.nothing_left
