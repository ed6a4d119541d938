"""Claiming a Slack delivery: once per event id, and only with the transaction that applies it."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session, select

from storage.models import SlackEvent
from storage.slack_events import claim_slack_event


def test_an_event_id_is_claimed_once(session: Session) -> None:
    assert claim_slack_event(session=session, event_id="Ev1", kind="message") is True
    assert claim_slack_event(session=session, event_id="Ev1", kind="message") is False
    assert claim_slack_event(session=session, event_id="Ev2", kind="app_home_opened") is True
    session.commit()
    assert claim_slack_event(session=session, event_id="Ev1", kind="message") is False
    rows = session.exec(select(SlackEvent.event_id, SlackEvent.kind)).all()
    assert sorted(rows) == [("Ev1", "message"), ("Ev2", "app_home_opened")]


def test_a_claim_rolled_back_with_its_transaction_can_be_made_again(db_engine: Engine) -> None:
    with Session(db_engine) as first:
        assert claim_slack_event(session=first, event_id="Ev9", kind="message") is True
        first.rollback()  # the message's turn failed: Slack's retry must be applied
    with Session(db_engine) as retry:
        assert claim_slack_event(session=retry, event_id="Ev9", kind="message") is True
        retry.commit()
    with Session(db_engine) as again:
        assert claim_slack_event(session=again, event_id="Ev9", kind="message") is False
