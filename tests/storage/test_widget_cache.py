"""The per-process copy of active widgets: fresh for a few seconds, dropped when changed here."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from qualification.errors import NotFound
from storage.widgets import active_widget, create_widget, get_widget, update_widget


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_active_widget_is_read_once_per_period_and_a_change_here_shows_at_once(
    db_engine: Engine, session: Session
) -> None:
    create_widget(session=session, flows=[], public_id="cached", settings={"greeting": "Hi"})
    session.commit()
    clock = Clock()
    first = active_widget(engine=db_engine, public_id="cached", seconds=5, clock=clock)
    assert first.greeting == "Hi"

    # Changed by another process (a plain UPDATE, as `baton widget` in its own process would):
    # this process keeps its copy until the period ends.
    with Session(db_engine) as other:
        row = get_widget(session=other, public_id="cached")
        row.greeting = "Hello"
        other.add(row)
        other.commit()
    clock.now += 4
    assert active_widget(engine=db_engine, public_id="cached", clock=clock) is first
    clock.now += 2
    assert active_widget(engine=db_engine, public_id="cached", clock=clock).greeting == "Hello"

    # Changed through this process: seen at once, including turning it off.
    widget = get_widget(session=session, public_id="cached")
    update_widget(session=session, widget=widget, flows=[], changes={"active": False})
    session.commit()
    with pytest.raises(NotFound):
        active_widget(engine=db_engine, public_id="cached", clock=clock)


def test_an_unknown_widget_is_not_remembered(db_engine: Engine, session: Session) -> None:
    clock = Clock()
    with pytest.raises(NotFound):
        active_widget(engine=db_engine, public_id="later", clock=clock)
    create_widget(session=session, flows=[], public_id="later", settings={})
    session.commit()
    assert active_widget(engine=db_engine, public_id="later", clock=clock).public_id == "later"
