"""Stateful property test: any mix of answers, commands, duplicate deliveries, behaviour
events and stage moves keeps Baton's invariants.

- the score equals the sum of the ledger;
- every stage change is audited, and the audit trail chains up to the lead's stage;
- each turn id gets exactly one reply, and a repeated delivery of an applied turn returns it
  unchanged (even with other text) and writes nothing.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from dialogs.prompt import Prompt
from qualification.errors import ConcurrentTurn, IllegalStageChange
from qualification.lifecycle import Actor, ActorKind, MoveContext, StageEvent
from qualification.rules import default_rules
from qualification.stages import EventKind, GivenBy, Stage
from storage.db import create_db_engine, upgrade_database
from storage.events import record_event
from storage.leads import move_stage
from storage.ledger import ledger_sum
from storage.models import Lead, Message, StageChange
from tests.dialogs.helpers import NOW, build_engine
from tests.factories import make_lead

ANSWERS = [
    "Jo Park",
    "jo@park.example",
    "not an email",
    "Park Ltd",
    "our leads go cold because follow up is slow",
    "just browsing",
    "about 50k a year",
    "no budget yet",
    "TBD",
    "I'm the CEO and I decide",
    "my boss decides",
    "our CFO",
    "yes",
    "no",
    "next quarter",
    "no idea",
    "120",
    "2",
    "",
    "back",
    "skip",
    "help",
    "restart",
    "<script>alert(1)</script>",
    "x" * 3000,
]
RULES = default_rules()
SDR = Actor(kind=ActorKind.USER, label="sam@example.com")
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def property_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    path: Path = tmp_path_factory.mktemp("props") / "baton.db"
    engine = create_db_engine(f"sqlite:///{path}")
    upgrade_database(engine)
    return engine


class ConversationMachine(RuleBasedStateMachine):
    db: Engine

    def __init__(self) -> None:
        super().__init__()
        self.dialogs = build_engine()
        with Session(self.db, expire_on_commit=False) as session:
            lead = make_lead(
                session, email=f"prop{next(_ids)}@example.com", name="", company_name=""
            )
            self.lead_id = lead.id or 0
            self.prompt = self.dialogs.start(
                session=session, lead=lead, channel="web", given_by=GivenBy.PROSPECT
            )
        self.replies: dict[str, Prompt] = {}

    @rule(text=st.sampled_from(ANSWERS))
    def answer(self, text: str) -> None:
        turn_id = f"turn-{next(_ids)}"
        with Session(self.db, expire_on_commit=False) as session:
            try:
                prompt = self.dialogs.advance(
                    session=session,
                    conversation_id=self.prompt.conversation_id,
                    text=text,
                    turn_id=turn_id,
                    given_by=GivenBy.PROSPECT,
                    expected_version=self.prompt.version,
                )
            except ConcurrentTurn:
                prompt = self.dialogs.current(
                    session=session, conversation_id=self.prompt.conversation_id
                )
        if prompt.version != self.prompt.version:
            # Applied. Refused input (empty, undecodable) writes nothing and keeps the version.
            self.replies[turn_id] = prompt
        self.prompt = prompt

    @rule(data=st.data())
    def deliver_again(self, data: st.DataObject) -> None:
        if not self.replies:
            return
        turn_id = data.draw(st.sampled_from(sorted(self.replies)))
        with Session(self.db, expire_on_commit=False) as session:
            again = self.dialogs.advance(
                session=session,
                conversation_id=self.prompt.conversation_id,
                text="a different text that must be ignored",
                turn_id=turn_id,
                given_by=GivenBy.PROSPECT,
            )
        assert again == self.replies[turn_id]

    @rule(event=st.sampled_from(list(StageEvent)), approved=st.booleans())
    def move(self, event: StageEvent, approved: bool) -> None:
        with Session(self.db, expire_on_commit=False) as session:
            lead = session.get(Lead, self.lead_id)
            assert lead is not None
            try:
                move_stage(
                    session=session,
                    lead=lead,
                    event=event,
                    actor=SDR,
                    reason="property test",
                    context=MoveContext(handoff_approved=approved),
                )
                session.commit()
            except IllegalStageChange:
                session.rollback()

    @rule(kind=st.sampled_from(list(EventKind)), days=st.integers(0, 120), key=st.integers(0, 5))
    def behaviour(self, kind: EventKind, days: int, key: int) -> None:
        with Session(self.db, expire_on_commit=False) as session:
            lead = session.get(Lead, self.lead_id)
            assert lead is not None
            record_event(
                session=session,
                lead=lead,
                kind=kind,
                occurred_at=NOW - timedelta(days=days),
                rules=RULES,
                now=NOW,
                idempotency_key=f"{self.lead_id}-{kind.value}-{key}",
            )
            session.commit()

    @invariant()
    def score_is_the_ledger_sum(self) -> None:
        with Session(self.db) as session:
            lead = session.get(Lead, self.lead_id)
            assert lead is not None
            assert lead.score == ledger_sum(session=session, lead_id=self.lead_id)

    @invariant()
    def every_stage_change_is_audited(self) -> None:
        with Session(self.db) as session:
            lead = session.get(Lead, self.lead_id)
            assert lead is not None
            changes = session.exec(
                select(StageChange)
                .where(StageChange.lead_id == self.lead_id)
                .order_by(col(StageChange.id))
            ).all()
            stage = Stage.NEW
            for change in changes:
                assert change.from_stage is stage
                assert change.actor and change.reason
                stage = change.to_stage
            assert lead.stage is stage

    @invariant()
    def one_reply_per_turn(self) -> None:
        with Session(self.db) as session:
            rows = session.exec(
                select(Message.turn_id, func.count())
                .where(
                    Message.conversation_id == self.prompt.conversation_id,
                    col(Message.turn_id).is_not(None),
                )
                .group_by(Message.turn_id, Message.direction)
            ).all()
            assert all(n == 1 for _, n in rows)


def test_engine_and_lifecycle_invariants(property_engine: Engine) -> None:
    ConversationMachine.db = property_engine
    runner = ConversationMachine.TestCase
    runner.settings = settings(
        max_examples=25,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    runner().runTest()
