"""The dialog engine end to end, on SQLite and PostgreSQL (via the `session` fixture)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from dialogs.engine import DialogEngine
from dialogs.machine import FlowMachine
from qualification.lifecycle import Actor, StageEvent
from qualification.stages import Action, Dimension, HandoffStatus, Stage
from storage.leads import move_stage
from storage.models import (
    BantAnswer,
    Conversation,
    HandoffRequest,
    Message,
    ScoreEntry,
    StageChange,
)
from tests.dialogs.helpers import (
    QUALIFIED,
    build_engine,
    count,
    known_lead,
    run_to,
    say,
    start,
)
from tests.factories import make_lead


@pytest.fixture
def engine() -> DialogEngine:
    return build_engine()


# --- start ----------------------------------------------------------------------------------


def test_start_marks_new_lead_mql_and_asks_first_unknown_step(
    session: Session, engine: DialogEngine
) -> None:
    lead = make_lead(session, name="", email=None, company_name="")
    prompt = start(engine, session, lead)
    assert prompt.step_id == "name" and not prompt.done
    assert prompt.text.startswith("Hi! Thanks for your interest.")
    assert prompt.text.endswith("First, what's your name?")
    session.refresh(lead)
    assert lead.stage == Stage.MQL
    change = session.exec(select(StageChange).where(StageChange.lead_id == lead.id)).one()
    assert change.reason == "started a qualification chat (web)"
    assert change.actor == "prospect:web"
    conversation = session.get(Conversation, prompt.conversation_id)
    assert conversation is not None
    assert (conversation.flow_id, conversation.state, conversation.version) == (
        "bant-default",
        "name",
        1,
    )
    stored = session.exec(select(Message).where(Message.conversation_id == conversation.id)).one()
    assert stored.payload == prompt.to_json()
    assert engine.current(session=session, conversation_id=prompt.conversation_id) == prompt


def test_start_skips_what_is_known_and_reengages_nurtured_lead(
    session: Session, engine: DialogEngine
) -> None:
    lead = known_lead(session)
    actor = Actor.system("test")
    move_stage(session=session, lead=lead, event=StageEvent.MARK_MQL, actor=actor, reason="x")
    move_stage(
        session=session,
        lead=lead,
        event=StageEvent.RETURN_TO_NURTURE,
        actor=actor,
        reason="not now",
    )
    session.commit()
    prompt = start(engine, session, lead)
    assert prompt.step_id == "need"
    assert prompt.text.startswith("Hi Ada!")
    assert "at Analytical Engines" in prompt.text
    assert prompt.progress[0] == 0
    session.refresh(lead)
    assert lead.stage == Stage.MQL
    events = session.exec(select(StageChange.event).order_by(col(StageChange.id))).all()
    assert events == ["mark_mql", "return_to_nurture", "reengage"]


# --- whole flows ----------------------------------------------------------------------------


def test_qualifying_path_requests_handoff(session: Session, engine: DialogEngine) -> None:
    lead = known_lead(session)
    prompt = start(engine, session, lead)
    prompt = run_to(engine, session, prompt, {**QUALIFIED, "team_size": "250"})
    assert prompt.step_id == "current_tool"
    assert [c.value for c in prompt.choices] == ["spreadsheets", "crm", "other_tool", "nothing"]
    prompt = say(engine, session, prompt, "we use salesforce")
    assert prompt.done and prompt.outcome is not None
    outcome = prompt.outcome
    assert outcome.action is Action.HANDOFF and outcome.applied
    assert outcome.reasons
    assert dict(outcome.breakdown).keys() == {"fit", "behaviour", "bant", "decay"}
    assert sum(dict(outcome.breakdown).values()) == outcome.score
    assert "sales team will reach out" in prompt.text
    session.refresh(lead)
    assert lead.stage in (Stage.SAL, Stage.SQL) and outcome.stage == lead.stage
    request = session.exec(select(HandoffRequest).where(HandoffRequest.lead_id == lead.id)).one()
    assert request.status in (HandoffStatus.PENDING, HandoffStatus.APPROVED)
    events = session.exec(
        select(StageChange.event)
        .where(StageChange.lead_id == lead.id)
        .order_by(col(StageChange.id))
    ).all()
    assert events[:2] == ["mark_mql", "accept"]
    answers = session.exec(select(BantAnswer).where(BantAnswer.lead_id == lead.id)).all()
    assert {a.dimension for a in answers} == set(Dimension)
    assert all(a.conversation_id == prompt.conversation_id for a in answers)
    assert count(session, ScoreEntry, lead_id=lead.id) > 0
    conversation = session.get(Conversation, prompt.conversation_id)
    assert conversation is not None and conversation.status == "completed"
    assert conversation.outcome == outcome.to_json()


def test_disqualify_path(session: Session, engine: DialogEngine) -> None:
    lead = known_lead(session)
    prompt = start(engine, session, lead)
    prompt = run_to(
        engine,
        session,
        prompt,
        {
            "need": "Nothing really, we don't need anything like this",
            "budget": "there is no budget",
            "authority": "I decide",
            "timeline": "not sure",
            "current_tool": "skip",
        },
    )
    assert prompt.done and prompt.outcome is not None
    assert prompt.outcome.action is Action.DISQUALIFY and prompt.outcome.applied
    assert "Said there is no budget and no need" in prompt.outcome.reasons
    assert "may not be the right fit" in prompt.text
    session.refresh(lead)
    assert lead.stage == Stage.DISQUALIFIED
    change = session.exec(
        select(StageChange).where(StageChange.event == "disqualify", StageChange.lead_id == lead.id)
    ).one()
    assert change.reason.startswith("qualification chat: Said there is no budget")
    assert count(session, HandoffRequest, lead_id=lead.id) == 0


def test_nurture_path(session: Session, engine: DialogEngine) -> None:
    lead = known_lead(session, employee_count=5, industry="retail", title="Analyst")
    prompt = start(engine, session, lead)
    prompt = run_to(
        engine,
        session,
        prompt,
        {
            "need": QUALIFIED["need"],
            "budget": "not sure yet",
            "authority": "my director decides",
            "decision_maker": "our director",
            "decision_maker_joins": "no",
            "timeline": "in about two years",
            "current_tool": "spreadsheets",
        },
    )
    assert prompt.done and prompt.outcome is not None
    outcome = prompt.outcome
    assert outcome.action is Action.NURTURE and outcome.applied
    assert any("below the SQL threshold" in reason for reason in outcome.reasons)
    session.refresh(lead)
    assert lead.stage == Stage.NURTURE and outcome.stage == Stage.NURTURE
    change = session.exec(
        select(StageChange).where(
            StageChange.event == "return_to_nurture", StageChange.lead_id == lead.id
        )
    ).one()
    assert "below the SQL threshold" in change.reason
    assert "timing isn't quite right" in prompt.text
    assert count(session, HandoffRequest, lead_id=lead.id) == 0


def test_not_decision_maker_branch(session: Session, engine: DialogEngine) -> None:
    lead = known_lead(session)
    prompt = run_to(
        engine,
        session,
        start(engine, session, lead),
        {
            "need": QUALIFIED["need"],
            "budget": QUALIFIED["budget"],
            "authority": "I'm a sales manager; our CFO makes the decision",
        },
    )
    assert prompt.step_id == "decision_maker"
    prompt = say(engine, session, prompt, "our CFO, Grace")
    assert prompt.step_id == "decision_maker_joins"
    assert prompt.text == "Could our CFO, Grace join our next call?"
    assert [c.value for c in prompt.choices] == ["yes", "no"]
    prompt = say(engine, session, prompt, "yes")
    assert prompt.step_id == "timeline"


def test_dialog_machine_is_never_built_per_turn(session: Session, engine: DialogEngine) -> None:
    before = FlowMachine.built
    prompt = start(engine, session, known_lead(session))
    run_to(engine, session, prompt, QUALIFIED)
    assert FlowMachine.built == before
