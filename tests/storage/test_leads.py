"""Leads and audited stage moves."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from qualification.errors import AlreadyExists, IllegalStageChange
from qualification.lifecycle import Actor, ActorKind, StageEvent
from qualification.stages import Stage
from storage.leads import find_lead_by_email, move_stage, stage_history, upsert_lead
from storage.models import Lead, LeadCreate, OutboxItem, StageChange
from tests.factories import make_lead

SDR = Actor(kind=ActorKind.USER, label="sam@example.com")


def test_emails_are_unique_and_case_insensitive(session: Session) -> None:
    lead = make_lead(session, email="Jane.Doe@Acme.COM", title="VP of Sales")
    assert lead.email == "jane.doe@acme.com"
    assert lead.seniority == "vp"
    assert find_lead_by_email(session=session, email="JANE.doe@acme.com") == lead
    with pytest.raises(AlreadyExists):
        make_lead(session, email="jane.doe@ACME.com")


def test_upsert_fills_in_without_duplicating(session: Session) -> None:
    lead = make_lead(session, email="jo@acme.io", company_name="Acme")
    same, created = upsert_lead(
        session=session,
        data=LeadCreate(email="JO@acme.io", industry="fintech"),
        actor=Actor.system("test"),
    )
    session.commit()
    assert not created and same.id == lead.id
    assert same.industry == "fintech" and same.company_name == "Acme"
    assert len(session.exec(select(Lead)).all()) == 1


def test_move_writes_audit_and_outbox_in_the_same_transaction(session: Session) -> None:
    lead = make_lead(session)
    change = move_stage(
        session=session, lead=lead, event=StageEvent.MARK_MQL, actor=SDR, reason="webinar list"
    )
    session.commit()
    assert lead.stage is Stage.MQL
    assert (change.from_stage, change.to_stage, change.actor, change.reason) == (
        Stage.NEW,
        Stage.MQL,
        "user:sam@example.com",
        "webinar list",
    )
    assert stage_history(session=session, lead_id=lead.id or 0) == [change]
    outbox = session.exec(select(OutboxItem).where(OutboxItem.topic == "lead.stage_changed")).one()
    assert outbox.status == "pending"
    assert outbox.payload["change_id"] == change.id
    assert (outbox.payload["from"], outbox.payload["to"]) == ("new", "mql")


def test_illegal_move_changes_nothing(session: Session) -> None:
    lead = make_lead(session)
    with pytest.raises(IllegalStageChange, match="cannot accept a lead in stage 'new'"):
        move_stage(session=session, lead=lead, event=StageEvent.ACCEPT, actor=SDR, reason="x")
    session.rollback()
    fresh = session.get(Lead, lead.id, populate_existing=True)
    assert fresh is not None and fresh.stage is Stage.NEW
    assert stage_history(session=session, lead_id=lead.id or 0) == []
    assert session.exec(select(StageChange)).all() == []
    topics = [o.topic for o in session.exec(select(OutboxItem)).all()]
    assert topics == ["lead.created"]


def test_a_move_rolled_back_leaves_neither_audit_nor_outbox(session: Session) -> None:
    lead = make_lead(session)
    move_stage(session=session, lead=lead, event=StageEvent.MARK_MQL, actor=SDR, reason="x")
    session.rollback()
    session.expire_all()
    fresh = session.get(Lead, lead.id)
    assert fresh is not None and fresh.stage is Stage.NEW
    assert session.exec(select(StageChange)).all() == []
    assert [o.topic for o in session.exec(select(OutboxItem)).all()] == ["lead.created"]


def test_a_reason_is_required_to_disqualify(session: Session) -> None:
    lead = make_lead(session)
    with pytest.raises(IllegalStageChange, match="a reason is required"):
        move_stage(session=session, lead=lead, event=StageEvent.DISQUALIFY, actor=SDR, reason=" ")


def test_a_move_decides_on_the_stored_stage_not_a_stale_copy(db_engine: Engine) -> None:
    with Session(db_engine, expire_on_commit=False) as first:
        lead = make_lead(first)
    with Session(db_engine) as other:
        fresh = other.get(Lead, lead.id)
        assert fresh is not None
        move_stage(session=other, lead=fresh, event=StageEvent.MARK_MQL, actor=SDR, reason="x")
        other.commit()
    # `lead` still says "new"; the move must see "mql" and audit from there.
    with Session(db_engine) as again:
        change = move_stage(
            session=again, lead=lead, event=StageEvent.ACCEPT, actor=SDR, reason="called"
        )
        again.commit()
        assert (change.from_stage, change.to_stage) == (Stage.MQL, Stage.SAL)
