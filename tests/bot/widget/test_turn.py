"""Answering through the widget: a full chat, repeats, races and hostile text."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlmodel import select

from qualification.stages import HandoffStatus, Stage
from storage.models import BantAnswer, HandoffRequest, Lead, Message, Visitor
from tests.bot.widget.helpers import answer, open_session
from tests.factories import make_lead

QUALIFYING = [
    "Jane Doe",
    "jane@acme-corp.io",
    "Acme Corp",
    "Our reps spend hours on manual data entry and leads go cold",
    "about $50k a year",
    "I'm the VP of Sales and I make the decision",
    "next month",
    "about 250",
    "A CRM",
]


async def _chat(
    client: httpx.AsyncClient, widget: str, answers: list[str]
) -> tuple[str, dict[str, object]]:
    data = await open_session(client, widget)
    token, prompt = data["token"], data["prompt"]
    for text in answers:
        response = await answer(client, widget, token, text, version=prompt["version"])
        assert response.status_code == 200, response.text
        prompt = response.json()["prompt"]
    return token, prompt


async def test_a_qualifying_chat_ends_with_a_handoff(
    client: httpx.AsyncClient, app: FastAPI, site_widget: str
) -> None:
    _token, prompt = await _chat(client, site_widget, QUALIFYING)
    assert prompt["done"] is True
    assert prompt["outcome"] == "handoff"
    assert "sales team will reach out" in prompt["text"]
    assert prompt["progress"][0] == prompt["progress"][1]
    with app.state.runtime.session() as session:
        lead = session.exec(select(Lead).where(Lead.email == "jane@acme-corp.io")).one()
        assert lead.stage is Stage.SAL
        assert lead.company_name == "Acme Corp"
        handoff = session.exec(select(HandoffRequest)).one()
        assert handoff.lead_id == lead.id and handoff.status is HandoffStatus.PENDING
        dimensions = {a.dimension.value for a in session.exec(select(BantAnswer)).all()}
        assert dimensions == {"budget", "authority", "need", "timeline"}


async def test_an_email_already_on_file_is_linked_not_duplicated(
    client: httpx.AsyncClient, app: FastAPI, site_widget: str
) -> None:
    with app.state.runtime.session() as session:
        existing = make_lead(session, email="known@acme-corp.io")
    data = await open_session(client, site_widget)
    token = data["token"]
    await answer(client, site_widget, token, "Known Person")
    reply = await answer(client, site_widget, token, "known@acme-corp.io")
    assert reply.status_code == 200
    assert any("Welcome back" in n for n in reply.json()["prompt"]["notices"])
    with app.state.runtime.session() as session:
        leads = session.exec(select(Lead).where(Lead.email == "known@acme-corp.io")).all()
        assert [lead.id for lead in leads] == [existing.id]
        # The visitor is now that lead: no anonymous duplicate is left behind.
        assert len(session.exec(select(Lead)).all()) == 1
        visitor = session.exec(select(Visitor)).one()
        assert visitor.lead_id == existing.id
    # Reloading resumes the same conversation, now on the lead on file.
    again = await open_session(client, site_widget, token=token)
    assert again["token"] == token
    assert "Known Person" in [m["text"] for m in again["history"]]


async def test_a_repeated_turn_id_is_applied_once(
    client: httpx.AsyncClient, app: FastAPI, site_widget: str
) -> None:
    data = await open_session(client, site_widget)
    token, version = data["token"], data["prompt"]["version"]
    first = await answer(client, site_widget, token, "Jane", version=version, turn_id="same")
    second = await answer(client, site_widget, token, "Jane", version=version, turn_id="same")
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    with app.state.runtime.session() as session:
        inbound = session.exec(select(Message).where(Message.direction == "in")).all()
        assert [m.text for m in inbound] == ["Jane"]


async def test_a_stale_version_is_409_with_the_current_prompt(
    client: httpx.AsyncClient, site_widget: str
) -> None:
    data = await open_session(client, site_widget)
    token, version = data["token"], data["prompt"]["version"]
    assert (await answer(client, site_widget, token, "Jane", version=version)).status_code == 200
    stale = await answer(client, site_widget, token, "Other tab", version=version)
    assert stale.status_code == 409
    body = stale.json()
    assert body["error"] == "ConcurrentTurn"
    assert body["prompt"]["step_id"] == "email"
    resumed = await open_session(client, site_widget, token=token)
    assert [m["text"] for m in resumed["history"] if m["direction"] == "in"] == ["Jane"]


async def test_script_in_an_answer_is_stored_and_returned_as_plain_text(
    client: httpx.AsyncClient, app: FastAPI, site_widget: str
) -> None:
    hostile = "<script>alert(1)</script>"
    data = await open_session(client, site_widget)
    token = data["token"]
    assert (await answer(client, site_widget, token, hostile)).status_code == 200
    resumed = await open_session(client, site_widget, token=token)
    assert resumed["history"][1]["text"] == hostile
    with app.state.runtime.session() as session:
        visitor = session.exec(select(Visitor)).one()
        lead = session.get(Lead, visitor.lead_id)
        assert lead is not None and lead.name == hostile
    frame = await client.get(f"/widget/{site_widget}/frame")
    assert "<script>alert" not in frame.text


async def test_a_turn_with_an_unknown_token_is_refused(
    client: httpx.AsyncClient, site_widget: str
) -> None:
    await open_session(client, site_widget)
    refused = await answer(client, site_widget, "not-a-real-token", "hello")
    assert refused.status_code == 403
    demo = await open_session(client, "demo")
    assert (await answer(client, site_widget, demo["token"], "hi")).status_code == 403
