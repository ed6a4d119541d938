"""Shared helpers for the dialog engine tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from dialogs.engine import DialogEngine
from dialogs.flow import FlowRegistry, default_flow
from dialogs.live_desk import LiveDesk
from dialogs.prompt import Prompt
from qualification.business_hours import BusinessHours
from qualification.rules import default_rules
from qualification.stages import GivenBy
from storage.models import Lead
from tests.factories import make_lead

NOW = datetime.now(UTC).replace(microsecond=0)
_turns = itertools.count(1)

QUALIFIED = {
    "need": "Our reps waste hours on manual data entry and we have no visibility into the pipeline",
    "budget": "around $60,000 per year",
    "authority": "I'm the VP of Sales and I make the final decision",
    "timeline": "next month",
}


def build_engine() -> DialogEngine:
    return DialogEngine(
        flows=FlowRegistry([default_flow()]), rules=default_rules(), clock=lambda: NOW
    )


def desk_engine(hours: str = "24/7", *, enabled: bool = True) -> DialogEngine:
    desk = LiveDesk(
        enabled=enabled, hours=BusinessHours.parse(hours, timezone="UTC"), answer_seconds=120
    )
    return DialogEngine(
        flows=FlowRegistry([default_flow()]), rules=default_rules(), clock=lambda: NOW, desk=desk
    )


def count(session: Session, table: type[SQLModel], **where: Any) -> int:
    query = select(func.count()).select_from(table)
    for name, value in where.items():
        query = query.where(getattr(table, name) == value)
    return int(session.exec(query).one())


def say(
    engine: DialogEngine,
    session: Session,
    prompt: Prompt,
    text: str | bytes,
    *,
    turn_id: str | None = None,
    given_by: GivenBy = GivenBy.PROSPECT,
) -> Prompt:
    return engine.advance(
        session=session,
        conversation_id=prompt.conversation_id,
        text=text,
        turn_id=turn_id or f"t{next(_turns)}",
        given_by=given_by,
        expected_version=prompt.version,
    )


def known_lead(session: Session, **overrides: Any) -> Lead:
    """A lead whose name, email and company are known (the chat starts at "need")."""
    data: dict[str, Any] = {
        "name": "Ada Lovelace",
        "email": f"ada{next(_turns)}@analytical.example",
        "company_name": "Analytical Engines",
        "title": "VP of Sales",
        "industry": "software",
        "employee_count": 250,
        "country": "GB",
    }
    data.update(overrides)
    return make_lead(session, **data)


def start(engine: DialogEngine, session: Session, lead: Lead, **kw: Any) -> Prompt:
    return engine.start(session=session, lead=lead, channel="web", given_by=GivenBy.PROSPECT, **kw)


def run_to(
    engine: DialogEngine, session: Session, prompt: Prompt, answers: dict[str, str]
) -> Prompt:
    """Answer each step by id until the flow asks something not in `answers`."""
    while not prompt.done and prompt.step_id in answers:
        prompt = say(engine, session, prompt, answers[prompt.step_id])
    return prompt
