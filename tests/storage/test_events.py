"""Behaviour events: recorded once per idempotency key, even when deliveries race."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from qualification.rules import default_rules
from qualification.stages import EventKind, Stage
from storage.events import record_event
from storage.ledger import ledger_sum
from storage.models import BehaviourEvent, Lead, StageChange
from tests.factories import make_lead

RULES = default_rules()
NOW = datetime.now(UTC)


def _no_fit(session: Session) -> Lead:
    return make_lead(session, industry=None, employee_count=None, country=None, title="")


def test_a_repeated_key_is_a_no_op(session: Session) -> None:
    lead = _no_fit(session)
    first, created = record_event(
        session=session,
        lead=lead,
        kind=EventKind.DEMO_REQUEST,
        occurred_at=NOW,
        rules=RULES,
        now=NOW,
        idempotency_key="demo-1",
    )
    session.commit()
    score = lead.score
    assert created and score == 20
    again, created = record_event(
        session=session,
        lead=lead,
        kind=EventKind.DEMO_REQUEST,
        occurred_at=NOW + timedelta(minutes=5),
        rules=RULES,
        now=NOW,
        idempotency_key="demo-1",
    )
    session.commit()
    assert not created and again.id == first.id
    assert lead.score == score and lead.last_activity_at == NOW
    assert len(session.exec(select(BehaviourEvent)).all()) == 1


def test_events_raise_the_score_to_mql(session: Session) -> None:
    lead = _no_fit(session)
    for i in range(5):
        record_event(
            session=session,
            lead=lead,
            kind=EventKind.CONTENT_DOWNLOAD if i else EventKind.DEMO_REQUEST,
            occurred_at=NOW - timedelta(days=i),
            rules=RULES,
            now=NOW,
            asset=f"ebook-{i}",
        )
        session.commit()
    assert lead.score == ledger_sum(session=session, lead_id=lead.id or 0) == 40
    assert lead.score >= RULES.mql_threshold and lead.stage is Stage.MQL
    assert lead.last_activity_at == NOW  # the latest event, not the latest recorded
    change = session.exec(select(StageChange)).one()
    assert change.actor == "system:scoring" and "MQL threshold" in change.reason


def test_racing_deliveries_of_one_event_store_it_once(db_engine: Engine) -> None:
    with Session(db_engine, expire_on_commit=False) as setup:
        lead_id = _no_fit(setup).id
    barrier = threading.Barrier(2, timeout=30)
    results: list[tuple[int | None, bool]] = []
    errors: list[BaseException] = []

    def deliver() -> None:
        barrier.wait()
        try:
            with Session(db_engine) as s:
                lead = s.get(Lead, lead_id)
                assert lead is not None
                event, created = record_event(
                    session=s,
                    lead=lead,
                    kind=EventKind.DEMO_REQUEST,
                    occurred_at=NOW,
                    rules=RULES,
                    now=NOW,
                    idempotency_key="hubspot:123",
                )
                s.commit()
                results.append((event.id, created))
        except BaseException as exc:  # reported by the assertions below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(created for _, created in results) == [False, True]
    assert results[0][0] == results[1][0]
    with Session(db_engine) as check:
        assert len(check.exec(select(BehaviourEvent)).all()) == 1
        lead = check.get(Lead, lead_id)
        assert lead is not None and lead.score == 20
        assert ledger_sum(session=check, lead_id=lead_id or 0) == 20
