"""The leads API: upsert by email, read with the score breakdown, list with filters and pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlmodel import select

from storage.models import Lead


def recent() -> str:
    """An hour ago: recent enough that no inactivity decay applies."""
    return (datetime.now(UTC) - timedelta(hours=1)).isoformat()


ACME = {
    "email": "Jane.Doe@Acme.io",
    "name": "Jane Doe",
    "title": "VP of Sales",
    "company_name": "Acme",
    "industry": "software",
    "employee_count": 250,
    "country": "us",
    "source_campaign": "spring-webinar",
}


async def test_create_then_upsert_by_email(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    created = await client.post("/api/v1/leads", json=ACME, headers=auth)
    assert created.status_code == 201
    lead = created.json()
    assert lead["email"] == "jane.doe@acme.io"
    assert lead["country"] == "US"
    assert lead["stage"] == "new"
    assert lead["score"] > 0  # fit rules scored the new lead

    updated = await client.post(
        "/api/v1/leads", json={"email": "JANE.DOE@acme.io ", "employee_count": 900}, headers=auth
    )
    assert updated.status_code == 200
    assert updated.json()["id"] == lead["id"]
    assert updated.json()["employee_count"] == 900
    assert updated.json()["name"] == "Jane Doe"  # fields not sent are kept


async def test_invalid_lead_bodies_are_422_naming_the_field(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    cases = [
        ({"name": "no email"}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@acme.io", "employee_count": -3}, "employee_count"),
        ({"email": "a@acme.io", "country": "Germany"}, "country"),
        ({"email": "a@acme.io", "favourite_colour": "blue"}, "favourite_colour"),
    ]
    for body, field in cases:
        response = await client.post("/api/v1/leads", json=body, headers=auth)
        assert response.status_code == 422, body
        errors = response.json()["detail"]
        assert any(field in error["loc"] for error in errors), errors
        assert all(error["msg"] for error in errors)
    listed = await client.get("/api/v1/leads", headers=auth)
    assert listed.json()["items"] == []


async def test_read_lead_with_score_breakdown_and_audit_trail(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    lead = (await client.post("/api/v1/leads", json=ACME, headers=auth)).json()
    event = {"email": ACME["email"], "kind": "demo_request", "occurred_at": recent()}
    assert (await client.post("/api/v1/events", json=event, headers=auth)).status_code == 201

    report = (await client.get(f"/api/v1/leads/{lead['id']}", headers=auth)).json()
    assert report["lead"]["email"] == "jane.doe@acme.io"
    assert report["score"] == sum(line["points"] for line in report["ledger"])
    assert report["score"] == report["lead"]["score"]
    assert set(report["score_by_category"]) >= {"fit", "behaviour"}
    assert {line["category"] for line in report["ledger"]} >= {"fit", "behaviour"}
    assert [e["kind"] for e in report["events"]] == ["demo_request"]
    assert [(s["from_stage"], s["to_stage"]) for s in report["stages"]] == [("new", "mql")]
    assert report["stages"][0]["actor"] and report["stages"][0]["reason"]
    assert report["answers"] == [] and report["conversations"] == []

    by_email = await client.get("/api/v1/leads/by-email/JANE.DOE@acme.io", headers=auth)
    assert by_email.json() == report


async def test_unknown_lead_is_404(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    assert (await client.get("/api/v1/leads/999999", headers=auth)).status_code == 404
    missing = await client.get("/api/v1/leads/by-email/nobody@acme.io", headers=auth)
    assert missing.status_code == 404


async def _add(client: httpx.AsyncClient, auth: dict[str, str], n: int, **fields: object) -> int:
    body = {"email": f"lead{n}@example.com", **fields}
    response = await client.post("/api/v1/leads", json=body, headers=auth)
    assert response.status_code == 201, response.text
    lead_id: int = response.json()["id"]
    return lead_id


async def test_list_filters(app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    small = await _add(client, auth, 1, source_campaign="webinar", source_channel="paid")
    fit = await _add(
        client,
        auth,
        2,
        source_campaign="ebook",
        **{k: v for k, v in ACME.items() if k not in {"email", "source_campaign"}},
    )
    await client.post(
        "/api/v1/events",
        json={"lead_id": fit, "kind": "demo_request", "occurred_at": recent()},
        headers=auth,
    )
    old = await _add(client, auth, 3, source_asset="pricing-guide")
    with app.state.runtime.session() as session:
        row = session.exec(select(Lead).where(Lead.id == old)).one()
        row.updated_at = datetime(2020, 1, 1, tzinfo=UTC)
        session.add(row)
        session.commit()

    async def ids(**params: object) -> set[int]:
        response = await client.get("/api/v1/leads", params=params, headers=auth)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await ids() == {small, fit, old}
    assert await ids(stage="mql") == {fit}
    assert await ids(stage=["mql", "new"]) == {small, fit, old}
    assert await ids(source_campaign="webinar") == {small}
    assert await ids(source_channel="paid") == {small}
    assert await ids(source_asset="pricing-guide") == {old}
    assert await ids(score_min=40) == {fit}
    assert await ids(score_max=39) == {small, old}
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert await ids(updated_since=since) == {small, fit}
    bad = await client.get("/api/v1/leads", params={"stage": "hot"}, headers=auth)
    assert bad.status_code == 422
    inverted = await client.get(
        "/api/v1/leads", params={"score_min": 10, "score_max": 5}, headers=auth
    )
    assert inverted.status_code == 422


async def test_pagination_walks_every_lead_once(
    app: FastAPI, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = {await _add(client, auth, n) for n in range(23)}
    # Several leads share one updated_at, so the id must break ties.
    with app.state.runtime.session() as session:
        same = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
        for row in session.exec(select(Lead)).all():
            if (row.id or 0) % 3 == 0:
                row.updated_at = same
                session.add(row)
        session.commit()
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, object] = {"limit": 5}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/v1/leads", params=params, headers=auth)).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 5
    assert len(seen) == len(set(seen)) == 23
    assert set(seen) == created


async def test_bad_cursor_and_limit_are_422(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    for params in [{"cursor": "not-a-cursor"}, {"limit": 0}, {"limit": 201}]:
        response = await client.get("/api/v1/leads", params=params, headers=auth)
        assert response.status_code == 422, params
