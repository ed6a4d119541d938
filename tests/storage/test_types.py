"""Column types behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from qualification.stages import EventKind
from storage.models import BehaviourEvent
from tests.factories import make_lead


def test_datetimes_come_back_aware_in_utc(session: Session) -> None:
    lead = make_lead(session)
    paris = timezone(timedelta(hours=1))
    for when in (datetime(2026, 3, 1, 10, 0, tzinfo=paris), datetime(2026, 3, 1, 9, 30)):
        session.add(BehaviourEvent(lead_id=lead.id or 0, kind=EventKind.VISIT, occurred_at=when))
    session.commit()
    session.expire_all()
    rows = session.exec(select(BehaviourEvent).order_by(col(BehaviourEvent.occurred_at))).all()
    assert [r.occurred_at for r in rows] == [
        datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 9, 30, tzinfo=UTC),  # naive input is taken as UTC
    ]
    later = session.exec(
        select(BehaviourEvent).where(
            col(BehaviourEvent.occurred_at) > datetime(2026, 3, 1, 10, 15, tzinfo=paris)
        )
    ).all()
    assert [r.occurred_at.minute for r in later] == [30]


def test_enums_are_stored_as_their_values(session: Session, db_engine: Engine) -> None:
    lead = make_lead(session)
    with db_engine.connect() as conn:
        stored = conn.execute(text("SELECT stage FROM leads WHERE id = :id"), {"id": lead.id})
        assert stored.scalar() == "new"
