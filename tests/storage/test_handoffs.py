"""Handoff requests: SAL only, one pending, managers only, first decision wins."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from qualification.errors import HandoffAlreadyDecided, IllegalStageChange, PermissionDenied
from qualification.lifecycle import Actor, ActorKind, StageEvent
from qualification.rules import default_rules
from qualification.stages import HandoffStatus, Role, Stage
from storage.handoffs import decide_handoff, pending_handoff, request_handoff
from storage.leads import move_stage
from storage.models import HandoffRequest, Lead, OutboxItem, StageChange, User
from tests.factories import make_lead, make_user

RULES = default_rules()
SDR = Actor(kind=ActorKind.USER, label="sam@example.com")


def _sal_lead(session: Session, **kw: object) -> Lead:
    lead = make_lead(session, **kw)
    move_stage(session=session, lead=lead, event=StageEvent.MARK_MQL, actor=SDR, reason="list")
    move_stage(session=session, lead=lead, event=StageEvent.ACCEPT, actor=SDR, reason="call")
    session.commit()
    return lead


def test_only_a_sal_can_be_handed_off(session: Session) -> None:
    lead = make_lead(session)
    with pytest.raises(IllegalStageChange, match="only a sales-accepted lead"):
        request_handoff(session=session, lead=lead, actor=SDR, rules=RULES)


def test_one_pending_request_per_lead(session: Session) -> None:
    lead = _sal_lead(session)
    first = request_handoff(session=session, lead=lead, actor=SDR, rules=RULES)
    second = request_handoff(session=session, lead=lead, actor=SDR, rules=RULES)
    session.commit()
    assert first.id == second.id
    assert len(session.exec(select(HandoffRequest)).all()) == 1


def test_sdr_cannot_decide(session: Session) -> None:
    lead = _sal_lead(session)
    request = request_handoff(session=session, lead=lead, actor=SDR, rules=RULES)
    session.commit()
    sdr = make_user(session, role=Role.SDR)
    with pytest.raises(PermissionDenied, match="only managers"):
        decide_handoff(
            session=session,
            request_id=request.id or 0,
            approve=True,
            user=sdr,
            comment="",
            rules=RULES,
        )
    session.rollback()
    assert session.get(Lead, lead.id).stage is Stage.SAL  # type: ignore[union-attr]


def test_approval_promotes_to_sql_with_audit(session: Session) -> None:
    lead = _sal_lead(session)
    request = request_handoff(session=session, lead=lead, actor=SDR, rules=RULES)
    manager = make_user(session, role=Role.MANAGER, email="mia@example.com")
    decided = decide_handoff(
        session=session,
        request_id=request.id or 0,
        approve=True,
        user=manager,
        comment="great fit",
        rules=RULES,
    )
    session.commit()
    assert decided.status is HandoffStatus.APPROVED
    assert decided.decided_by == "user:mia@example.com"
    session.refresh(lead)
    assert lead.stage is Stage.SQL
    last = session.exec(select(StageChange).order_by(StageChange.id.desc())).first()  # type: ignore[union-attr]
    assert last is not None and last.to_stage is Stage.SQL
    assert "approved by mia@example.com: great fit" in last.reason


@pytest.mark.parametrize("goes_to", [Stage.SAL, Stage.NURTURE])
def test_rejection_goes_where_the_business_says(session: Session, goes_to: Stage) -> None:
    rules = dataclasses.replace(RULES, rejected_handoff_goes_to=goes_to)
    lead = _sal_lead(session)
    request = request_handoff(session=session, lead=lead, actor=SDR, rules=rules)
    manager = make_user(session, role=Role.MANAGER)
    decide_handoff(
        session=session,
        request_id=request.id or 0,
        approve=False,
        user=manager,
        comment="no budget this year",
        rules=rules,
    )
    session.commit()
    session.refresh(lead)
    assert lead.stage is goes_to


def test_auto_approval_above_configured_score(session: Session) -> None:
    rules = dataclasses.replace(RULES, auto_approve_above=0)
    lead = _sal_lead(session)
    request = request_handoff(session=session, lead=lead, actor=SDR, rules=rules)
    session.commit()
    assert request.status is HandoffStatus.APPROVED
    assert request.decided_by == "system:auto-approve"
    assert lead.stage is Stage.SQL


def test_two_managers_racing_exactly_one_wins(db_engine: Engine) -> None:
    with Session(db_engine, expire_on_commit=False) as setup:
        lead = _sal_lead(setup)
        request = request_handoff(session=setup, lead=lead, actor=SDR, rules=RULES)
        managers = [make_user(setup, role=Role.MANAGER) for _ in range(2)]
        setup.commit()
        request_id = request.id or 0

    barrier = threading.Barrier(2, timeout=30)
    outcomes: list[str] = []

    def decide(user: User, approve: bool) -> None:
        with Session(db_engine) as s:
            barrier.wait()
            try:
                decide_handoff(
                    session=s,
                    request_id=request_id,
                    approve=approve,
                    user=user,
                    comment="",
                    rules=RULES,
                )
                s.commit()
                outcomes.append("won")
            except HandoffAlreadyDecided as exc:
                s.rollback()
                assert "already" in str(exc)
                outcomes.append("lost")

    threads = [
        threading.Thread(target=decide, args=(managers[0], True)),
        threading.Thread(target=decide, args=(managers[1], False)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost", "won"]
    with Session(db_engine) as check:
        final = check.get(HandoffRequest, request_id)
        assert final is not None and final.status is not HandoffStatus.PENDING
        changes = check.exec(select(StageChange).where(StageChange.to_stage == Stage.SQL)).all()
        assert len(changes) == (1 if final.status is HandoffStatus.APPROVED else 0)


def test_the_database_allows_one_pending_request_per_lead(session: Session) -> None:
    lead = _sal_lead(session)
    session.add(
        HandoffRequest(lead_id=lead.id or 0, requested_by="a", status=HandoffStatus.REJECTED)
    )
    session.add(HandoffRequest(lead_id=lead.id or 0, requested_by="b"))
    session.commit()
    session.add(HandoffRequest(lead_id=lead.id or 0, requested_by="c"))
    with pytest.raises(IntegrityError):
        session.commit()


def test_a_later_decision_names_the_first(session: Session) -> None:
    lead = _sal_lead(session)
    request = request_handoff(session=session, lead=lead, actor=SDR, rules=RULES)
    mia = make_user(session, role=Role.MANAGER, email="mia@example.com")
    max_ = make_user(session, role=Role.MANAGER, email="max@example.com")
    decide_handoff(
        session=session,
        request_id=request.id or 0,
        approve=False,
        user=mia,
        comment="",
        rules=RULES,
    )
    session.commit()
    with pytest.raises(
        HandoffAlreadyDecided, match="already rejected by user:mia@example.com"
    ) as e:
        decide_handoff(
            session=session,
            request_id=request.id or 0,
            approve=True,
            user=max_,
            comment="",
            rules=RULES,
        )
    assert e.value.decided_by == "user:mia@example.com" and e.value.status == "rejected"
    session.rollback()
    assert session.get(Lead, lead.id, populate_existing=True).stage is Stage.SAL  # type: ignore[union-attr]


def test_leaving_sal_cancels_the_pending_request(session: Session) -> None:
    lead = _sal_lead(session)
    request = request_handoff(session=session, lead=lead, actor=SDR, rules=RULES)
    move_stage(
        session=session, lead=lead, event=StageEvent.DISQUALIFY, actor=SDR, reason="competitor"
    )
    session.commit()
    session.refresh(request)
    assert request.status is HandoffStatus.CANCELLED
    assert request.decided_by == "user:sam@example.com" and "competitor" in request.comment
    assert pending_handoff(session=session, lead_id=lead.id or 0) is None


def test_no_auto_approval_below_the_configured_score(session: Session) -> None:
    rules = dataclasses.replace(RULES, auto_approve_above=10_000)
    lead = _sal_lead(session)
    request = request_handoff(session=session, lead=lead, actor=SDR, rules=rules)
    session.commit()
    assert request.status is HandoffStatus.PENDING and lead.stage is Stage.SAL
    topics = [o.topic for o in session.exec(select(OutboxItem)).all()]
    assert "handoff.requested" in topics


def test_two_sdrs_requesting_at_once_make_one_request(db_engine: Engine) -> None:
    with Session(db_engine, expire_on_commit=False) as setup:
        lead_id = _sal_lead(setup).id or 0
    barrier = threading.Barrier(2, timeout=30)
    ids: list[int | None] = []

    def ask() -> None:
        barrier.wait()
        with Session(db_engine) as s:
            lead = s.get(Lead, lead_id)
            assert lead is not None
            ids.append(request_handoff(session=s, lead=lead, actor=SDR, rules=RULES).id)
            s.commit()

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 2 and ids[0] == ids[1]
    with Session(db_engine) as check:
        assert len(check.exec(select(HandoffRequest)).all()) == 1
