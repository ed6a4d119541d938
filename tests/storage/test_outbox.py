"""The outbox: items commit or roll back with the change that caused them."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import OutboxItem
from storage.outbox import EVENT, enqueue


def test_items_roll_back_with_their_transaction(session: Session) -> None:
    enqueue(session=session, kind=EVENT, topic="lead.created", payload={"lead_id": 1})
    session.rollback()
    assert session.exec(select(OutboxItem)).all() == []
    enqueue(session=session, kind=EVENT, topic="lead.created", payload={"lead_id": 1})
    session.commit()
    item = session.exec(select(OutboxItem)).one()
    assert (item.status, item.attempts, item.payload) == ("pending", 0, {"lead_id": 1})


def test_a_dedupe_key_queues_a_thing_once(session: Session) -> None:
    first = enqueue(session=session, kind=EVENT, topic="t", payload={"n": 1}, dedupe_key="k")
    session.commit()
    again = enqueue(session=session, kind=EVENT, topic="t", payload={"n": 2}, dedupe_key="k")
    session.commit()
    assert again.id == first.id
    assert [i.payload for i in session.exec(select(OutboxItem)).all()] == [{"n": 1}]
