"""Starting again after a chat ended, and a visitor's conversation linked atomically."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, func, select

from bot.app import create_app
from bot.widget.guard import WidgetLimits
from bot.widget.restart_policy import ANSWERS_ON_FILE, IN_TOUCH, PERSON_COMING
from qualification.stages import HandoffStatus, Role, Stage
from storage.handoffs import decide_handoff
from storage.models import Conversation, HandoffRequest, Lead, StageChange, Visitor
from storage.visitors import hash_token
from tests.bot.widget.conftest import BASE
from tests.bot.widget.helpers import answer, finish_chat, open_session, restart
from tests.bot.widget.test_live import WIDGET, add_site_widget, live_settings
from tests.bot.widget.test_turn import QUALIFYING
from tests.factories import make_user

# Budget and timeline skipped: the chat ends in nurture, and those two stay unknown.
NURTURING = [
    "Nora Nurture",
    "nora@slow-co.io",
    "Slow Co",
    "Our reps waste hours on manual data entry",
    "skip",
    "I'm the VP of Sales and I decide",
    "skip",
    "skip",
    "A CRM",
]
# No need and no budget: disqualified.
DISQUALIFYING = [
    "Dan Nope",
    "dan@nope-inc.io",
    "Nope Inc",
    "nothing really, we are fine",
    "no budget",
    "I'm the VP of Sales and I decide",
    "next month",
    "about 5",
    "Nothing yet",
]


def _count(session: Session, table: type[Conversation | HandoffRequest | Visitor]) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def _visitor(session: Session, token: str) -> Visitor:
    return session.exec(select(Visitor).where(Visitor.token_hash == hash_token(token))).one()


async def test_a_finished_chat_starts_again_on_the_same_lead_asking_only_what_is_unknown(
    client: httpx.AsyncClient, app: FastAPI, site_widget: str
) -> None:
    token, ended = await finish_chat(client, site_widget, NURTURING)
    assert ended["prompt"]["outcome"] == "nurture"
    assert ended["can_restart"] is True
    old_id = ended["prompt"]["conversation_id"]

    response = await restart(client, site_widget, token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["restarted"] is True and body["token"] == token
    assert body["can_restart"] is False
    new_id = body["prompt"]["conversation_id"]
    assert new_id != old_id
    # Name, email, company, need and authority are known; the skipped budget is asked again.
    assert body["prompt"]["step_id"] == "budget"
    assert body["prompt"]["done"] is False
    assert [m["direction"] for m in body["history"]] == ["out"]
    assert body["history"][0]["text"].startswith("Hi Nora!")
    with app.state.runtime.session() as session:
        visitor = _visitor(session, token)
        assert visitor.conversation_id == new_id
        new = session.get(Conversation, new_id)
        old = session.get(Conversation, old_id)
        assert new is not None and old is not None
        assert (new.lead_id, new.channel, new.status) == (visitor.lead_id, "web", "active")
        assert old.status == "completed"  # the ended chat is kept as it was
        lead = session.get(Lead, visitor.lead_id)
        assert lead is not None and lead.stage is Stage.MQL  # a nurtured lead re-engaged
        moves = session.exec(select(StageChange).order_by(col(StageChange.id))).all()
        assert [(m.from_stage, m.to_stage) for m in moves][-1] == (Stage.NURTURE, Stage.MQL)
        assert _count(session, HandoffRequest) == 0

    # A reload resumes the new conversation.
    again = await open_session(client, site_widget, token=token)
    assert again["prompt"]["conversation_id"] == new_id
    assert again["prompt"]["step_id"] == "budget"
    assert again["can_restart"] is False

    # Now qualified: one handoff request, and no way to start a third chat.
    _token, done = await finish_chat(
        client, site_widget, ["about $50k a year", "next month", "about 250", "A CRM"], token=token
    )
    assert done["prompt"]["outcome"] == "handoff"
    assert done["can_restart"] is False
    refused = await restart(client, site_widget, token)
    assert refused.status_code == 409
    assert refused.json()["detail"] == IN_TOUCH
    with app.state.runtime.session() as session:
        lead = session.get(Lead, _visitor(session, token).lead_id)
        assert lead is not None and lead.stage is Stage.SAL
        handoffs = session.exec(select(HandoffRequest)).all()
        assert [(h.lead_id, h.status) for h in handoffs] == [(lead.id, HandoffStatus.PENDING)]
        assert _count(session, Conversation) == 2


async def test_a_lead_with_sales_is_told_the_team_is_in_touch(
    client: httpx.AsyncClient, app: FastAPI, site_widget: str
) -> None:
    token, ended = await finish_chat(client, site_widget, QUALIFYING)
    assert ended["prompt"]["outcome"] == "handoff"
    assert ended["can_restart"] is False
    rt = app.state.runtime
    for stage in (Stage.SAL, Stage.SQL):
        response = await restart(client, site_widget, token)
        assert response.status_code == 409
        body = response.json()
        assert body["error"] == "RestartRefused"
        assert body["detail"] == IN_TOUCH
        assert body["prompt"]["conversation_id"] == ended["prompt"]["conversation_id"]
        assert body["prompt"]["done"] is True
        with rt.session() as session:
            lead = session.get(Lead, _visitor(session, token).lead_id)
            assert lead is not None and lead.stage is stage
            assert _count(session, Conversation) == 1
            assert _count(session, HandoffRequest) == 1
            if stage is Stage.SAL:  # a manager approves: the lead becomes SQL
                manager = make_user(session, role=Role.MANAGER, email="boss@example.com")
                request = session.exec(select(HandoffRequest)).one()
                decide_handoff(
                    session=session,
                    request_id=request.id or 0,
                    approve=True,
                    user=manager,
                    comment="",
                    rules=rt.rules,
                )
                session.commit()
    resumed = await open_session(client, site_widget, token=token)
    assert resumed["prompt"]["conversation_id"] == ended["prompt"]["conversation_id"]
    assert resumed["can_restart"] is False


async def test_a_disqualified_lead_keeps_its_stage_and_is_thanked(
    client: httpx.AsyncClient, app: FastAPI, site_widget: str
) -> None:
    token, ended = await finish_chat(client, site_widget, DISQUALIFYING)
    assert ended["prompt"]["outcome"] == "disqualify"
    assert ended["can_restart"] is False
    response = await restart(client, site_widget, token)
    assert response.status_code == 409
    assert response.json()["detail"] == ANSWERS_ON_FILE
    with app.state.runtime.session() as session:
        lead = session.get(Lead, _visitor(session, token).lead_id)
        assert lead is not None and lead.stage is Stage.DISQUALIFIED
        assert _count(session, Conversation) == 1


async def test_a_chat_handed_to_a_person_stays_open_for_that_person(
    database_url: str,
) -> None:
    app = create_app(live_settings(database_url), widget_limits=WidgetLimits())
    add_site_widget(app.state.runtime)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        token, ended = await finish_chat(client, WIDGET, ["Hana Human", "talk to a human"])
        assert ended["prompt"]["done"] is True
        assert ended["can_restart"] is False
        response = await restart(client, WIDGET, token)
        assert response.status_code == 409
        assert response.json()["detail"] == PERSON_COMING
    with app.state.runtime.session() as session:
        assert _count(session, Conversation) == 1
        conversation = session.exec(select(Conversation)).one()
        assert conversation.status == "human"
    app.state.runtime.engine.dispose()


async def test_without_live_chat_asking_for_a_person_offers_a_follow_up_and_carries_on(
    client: httpx.AsyncClient, app: FastAPI, site_widget: str
) -> None:
    data = await open_session(client, site_widget)
    token = data["token"]
    reply = await answer(client, site_widget, token, "talk to a human")
    assert reply.status_code == 200
    prompt = reply.json()["prompt"]
    assert prompt["done"] is False and prompt["offer"] == "followup"
    assert prompt["step_id"] == data["prompt"]["step_id"]
    response = await restart(client, site_widget, token)
    assert response.status_code == 200 and response.json()["restarted"] is False
    with app.state.runtime.session() as session:
        assert session.exec(select(Conversation)).one().status == "active"


async def test_restarting_an_active_chat_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI, site_widget: str
) -> None:
    data = await open_session(client, site_widget)
    token = data["token"]
    reply = await answer(
        client, site_widget, token, "Ada Active", version=data["prompt"]["version"]
    )
    assert reply.status_code == 200
    response = await restart(client, site_widget, token)
    assert response.status_code == 200
    body = response.json()
    assert body["restarted"] is False
    assert body["prompt"]["conversation_id"] == data["prompt"]["conversation_id"]
    assert body["prompt"]["step_id"] == "email"
    assert [m["text"] for m in body["history"] if m["direction"] == "in"] == ["Ada Active"]
    with app.state.runtime.session() as session:
        assert _count(session, Conversation) == 1


async def test_a_made_up_or_foreign_token_restarts_nothing(
    client: httpx.AsyncClient, app: FastAPI, site_widget: str
) -> None:
    token, _ended = await finish_chat(client, site_widget, NURTURING)
    for widget, sent in (("demo", token), (site_widget, "made-up-token"), (site_widget, "x" * 200)):
        response = await restart(client, widget, sent)
        assert response.status_code == 403, (widget, sent)
        assert "Nora" not in response.text
    too_long = await restart(client, site_widget, "x" * 201)
    assert too_long.status_code == 422
    with app.state.runtime.session() as session:
        assert _count(session, Conversation) == 1
        assert _count(session, Visitor) == 1
        lead = session.get(Lead, _visitor(session, token).lead_id)
        assert lead is not None and lead.stage is Stage.NURTURE


async def test_concurrent_restarts_start_one_conversation(
    client: httpx.AsyncClient, app: FastAPI, site_widget: str
) -> None:
    token, ended = await finish_chat(client, site_widget, NURTURING)
    responses = await asyncio.gather(*(restart(client, site_widget, token) for _ in range(5)))
    assert [r.status_code for r in responses] == [200] * 5
    bodies = [r.json() for r in responses]
    assert sorted(b["restarted"] for b in bodies) == [False] * 4 + [True]
    new_ids = {b["prompt"]["conversation_id"] for b in bodies}
    assert len(new_ids) == 1 and ended["prompt"]["conversation_id"] not in new_ids
    with app.state.runtime.session() as session:
        assert _count(session, Conversation) == 2
        assert _visitor(session, token).conversation_id in new_ids
        reengaged = session.exec(select(StageChange).where(StageChange.to_stage == Stage.MQL)).all()
        assert [m.from_stage for m in reengaged] == [Stage.NEW, Stage.NURTURE]


@contextmanager
def _linking_fails(app: FastAPI) -> Iterator[None]:
    """A database trigger refuses to point a visitor at a conversation, as a crash between
    starting a conversation and linking it would."""
    engine = app.state.runtime.engine
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        if postgres:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse_link() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'linking refused'; END $$"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_link BEFORE UPDATE OF conversation_id ON visitors "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_link()"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE TRIGGER refuse_link BEFORE UPDATE OF conversation_id ON visitors "
                    "BEGIN SELECT RAISE(ABORT, 'linking refused'); END"
                )
            )
    try:
        yield
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TRIGGER refuse_link" + (" ON visitors" if postgres else "")))
            if postgres:
                conn.execute(text("DROP FUNCTION refuse_link()"))


async def test_a_conversation_is_never_left_without_its_visitor(
    client: httpx.AsyncClient, app: FastAPI, site_widget: str
) -> None:
    token, ended = await finish_chat(client, site_widget, NURTURING)
    rt = app.state.runtime
    with _linking_fails(app):
        with pytest.raises(DBAPIError, match="linking refused"):
            await open_session(client, site_widget)
        with pytest.raises(DBAPIError, match="linking refused"):
            await restart(client, site_widget, token)
    with rt.session() as session:
        # Neither the new visitor's chat nor the restarted one was kept, and the nurtured
        # lead did not re-engage: each start is one transaction with its link.
        assert _count(session, Conversation) == 1
        assert _count(session, Visitor) == 1
        visitor = _visitor(session, token)
        assert visitor.conversation_id == ended["prompt"]["conversation_id"]
        lead = session.get(Lead, visitor.lead_id)
        assert lead is not None and lead.stage is Stage.NURTURE
    # Once linking works again, both go ahead.
    assert (await restart(client, site_widget, token)).json()["restarted"] is True
    assert (await open_session(client, site_widget))["prompt"]["step_id"] == "name"
