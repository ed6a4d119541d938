"""Opening and resuming a visitor's chat through the widget's session endpoint."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlmodel import select

from qualification.stages import EventKind, Stage
from storage.models import BehaviourEvent, Lead, Visitor
from storage.visitors import hash_token
from storage.widgets import get_widget, update_widget
from tests.bot.widget.conftest import SITE
from tests.bot.widget.helpers import answer, open_session


async def test_a_new_visitor_gets_a_token_and_the_first_question(
    client: httpx.AsyncClient, app: FastAPI, site_widget: str
) -> None:
    data = await open_session(
        client,
        site_widget,
        url=f"{SITE}/pricing?utm_campaign=spring",
        utm_campaign="spring",
        utm_source="newsletter",
        utm_medium="email",
    )
    assert len(data["token"]) >= 40
    assert data["prompt"]["step_id"] == "name"
    assert [m["direction"] for m in data["history"]] == ["out"]
    with app.state.runtime.session() as session:
        visitor = session.exec(select(Visitor)).one()
        assert visitor.token_hash == hash_token(data["token"])  # only the hash is stored
        assert data["token"] not in str(visitor.model_dump())
        lead = session.get(Lead, visitor.lead_id)
        assert lead is not None
        assert lead.stage is Stage.MQL
        assert lead.source_campaign == "spring"
        assert lead.source_channel == "newsletter/email"
        events = session.exec(select(BehaviourEvent)).all()
        assert [(e.kind, e.url) for e in events] == [
            (EventKind.VISIT, f"{SITE}/pricing?utm_campaign=spring")
        ]


async def test_the_same_token_resumes_with_history(
    client: httpx.AsyncClient, site_widget: str
) -> None:
    first = await open_session(client, site_widget, url=f"{SITE}/")
    token = first["token"]
    reply = await answer(client, site_widget, token, "Jane Doe", version=first["prompt"]["version"])
    assert reply.status_code == 200
    again = await open_session(client, site_widget, token=token, url=f"{SITE}/")
    assert again["token"] == token
    assert [m["direction"] for m in again["history"]] == ["out", "in", "out"]
    assert again["history"][1]["text"] == "Jane Doe"
    assert again["prompt"]["step_id"] == "email"
    assert again["prompt"]["expects"] == "email"


async def test_a_token_of_another_widget_or_a_made_up_one_gets_a_new_visitor(
    client: httpx.AsyncClient, app: FastAPI, site_widget: str
) -> None:
    mine = await open_session(client, site_widget)
    await answer(client, site_widget, mine["token"], "Secret Name")
    for foreign in (mine["token"], "made-up-token", "x" * 199):
        other = await open_session(client, "demo", token=foreign)
        assert other["token"] != mine["token"]
        assert all("Secret Name" not in m["text"] for m in other["history"])
        assert len(other["history"]) == 1
    with app.state.runtime.session() as session:
        assert len(session.exec(select(Visitor)).all()) == 4


async def test_unknown_widget_is_404(client: httpx.AsyncClient) -> None:
    assert (await client.post("/widget/nope/session", json={})).status_code == 404
    assert (await client.get("/widget/nope/config")).status_code == 404
    assert (await client.get("/widget/nope/frame")).status_code == 404


async def test_origins_not_allowed_are_403_and_allowed_ones_get_cors(
    client: httpx.AsyncClient, site_widget: str
) -> None:
    evil = {"origin": "https://evil.example.net"}
    config = await client.get(f"/widget/{site_widget}/config", headers={"origin": SITE})
    assert config.status_code == 200
    assert config.headers["access-control-allow-origin"] == SITE
    assert config.json()["frame_url"] == f"/widget/{site_widget}/frame"
    refused = await client.get(f"/widget/{site_widget}/config", headers=evil)
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers
    assert (
        await client.post(f"/widget/{site_widget}/session", json={}, headers=evil)
    ).status_code == 403
    assert (
        await client.post(
            f"/widget/{site_widget}/session", json={"host_origin": "https://evil.example.net"}
        )
    ).status_code == 403
    framed = await client.get(f"/widget/{site_widget}/frame", params={"origin": SITE})
    assert framed.status_code == 200
    assert f"frame-ancestors 'self' {SITE}" in framed.headers["content-security-policy"]
    assert "x-frame-options" not in framed.headers
    bad_frame = await client.get(
        f"/widget/{site_widget}/frame", params={"origin": "https://evil.example.net"}
    )
    assert bad_frame.status_code == 403


async def test_an_inactive_widget_is_404(
    client: httpx.AsyncClient, app: FastAPI, site_widget: str
) -> None:
    rt = app.state.runtime
    with rt.session() as session:
        widget = get_widget(session=session, public_id=site_widget)
        update_widget(session=session, widget=widget, flows=rt.flows, changes={"active": False})
        session.commit()
    assert (await client.post(f"/widget/{site_widget}/session", json={})).status_code == 404
