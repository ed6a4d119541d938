"""The events API: idempotent ingest that re-scores leads; batches are all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

FIT = {
    "email": "jane@acme.io",
    "title": "VP of Sales",
    "industry": "software",
    "employee_count": 250,
    "country": "US",
}


def recent(hours: int = 1) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat()


async def _lead(client: httpx.AsyncClient, auth: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/leads", json={**FIT, **fields}, headers=auth)
    assert response.status_code == 201, response.text
    lead: dict[str, Any] = response.json()
    return lead


async def _leads(client: httpx.AsyncClient, auth: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await client.get("/api/v1/leads", headers=auth)).json()["items"]
    return items


async def test_demo_request_moves_a_fitting_lead_to_mql(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    lead = await _lead(client, auth)
    assert lead["stage"] == "new" and lead["score"] < 40
    response = await client.post(
        "/api/v1/events",
        json={"lead_id": lead["id"], "kind": "demo_request", "occurred_at": recent()},
        headers=auth,
    )
    assert response.status_code == 201
    result = response.json()
    assert result["status"] == "created"
    assert result["stage"] == "mql"
    assert result["score"] == lead["score"] + 20


async def test_repeated_idempotency_key_is_a_duplicate_and_changes_nothing(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await _lead(client, auth)
    event = {
        "email": "jane@acme.io",
        "kind": "content_download",
        "occurred_at": recent(),
        "asset": "pricing-guide",
        "idempotency_key": "hubspot-123",
    }
    first = await client.post("/api/v1/events", json=event, headers=auth)
    again = await client.post("/api/v1/events", json=event, headers=auth)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert again.json()["event_id"] == first.json()["event_id"]
    assert again.json()["score"] == first.json()["score"]
    report = (await client.get(f"/api/v1/leads/{first.json()['lead_id']}", headers=auth)).json()
    assert [e["kind"] for e in report["events"]] == ["content_download"]


async def test_unknown_email_creates_the_lead_with_its_utm_source(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/events",
        json={
            "email": "New.Person@Example.com",
            "kind": "visit",
            "occurred_at": recent(),
            "url": "https://example.com/pricing",
            "utm_campaign": "spring",
            "utm_medium": "paid-social",
            "utm_content": "banner-a",
        },
        headers=auth,
    )
    assert response.status_code == 201
    assert response.json()["lead_created"] is True
    lead = (await client.get("/api/v1/leads/by-email/new.person@example.com", headers=auth)).json()
    assert lead["lead"]["source_campaign"] == "spring"
    assert lead["lead"]["source_channel"] == "paid-social"
    assert lead["lead"]["source_asset"] == "banner-a"


async def test_batch_reports_each_event_and_final_scores(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    lead = await _lead(client, auth)
    events = [
        {"lead_id": lead["id"], "kind": "visit", "occurred_at": recent(3), "idempotency_key": "v1"},
        {"lead_id": lead["id"], "kind": "visit", "occurred_at": recent(3), "idempotency_key": "v1"},
        {"email": "other@example.com", "kind": "email_open", "occurred_at": recent(2)},
        {"email": "jane@acme.io", "kind": "demo_request", "occurred_at": recent(1)},
    ]
    response = await client.post("/api/v1/events/batch", json={"events": events}, headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["duplicates"]) == (3, 1)
    assert [r["status"] for r in body["results"]] == ["created", "duplicate", "created", "created"]
    assert [r["index"] for r in body["results"]] == [0, 1, 2, 3]
    jane = [r for r in body["results"] if r["lead_id"] == lead["id"]]
    assert {(r["score"], r["stage"]) for r in jane} == {(lead["score"] + 2 + 20, "mql")}
    assert body["results"][2]["lead_created"] is True


async def test_invalid_batch_item_is_422_naming_index_and_field_and_nothing_is_applied(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    lead = await _lead(client, auth)
    good = {"email": "new@example.com", "kind": "visit", "occurred_at": recent()}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"lead_id": lead["id"], "kind": "telepathy", "occurred_at": recent()}, "kind"),
        ({"lead_id": lead["id"], "kind": "visit", "occurred_at": "yesterday"}, "occurred_at"),
        ({"email": "not an email", "kind": "visit", "occurred_at": recent()}, "email"),
    ]
    for bad, field in cases:
        response = await client.post(
            "/api/v1/events/batch", json={"events": [good, good, bad]}, headers=auth
        )
        assert response.status_code == 422
        locs = [error["loc"] for error in response.json()["detail"]]
        assert any(loc[:3] == ["body", "events", 2] and field in loc for loc in locs), locs

    # Errors only the database can find are reported the same way, after partial work is undone.
    missing = {"lead_id": 999999, "kind": "visit", "occurred_at": recent()}
    response = await client.post(
        "/api/v1/events/batch", json={"events": [good, missing]}, headers=auth
    )
    assert response.status_code == 422
    assert "event 1: lead_id" in response.json()["detail"]
    future = {**good, "occurred_at": (datetime.now(UTC) + timedelta(days=2)).isoformat()}
    response = await client.post("/api/v1/events/batch", json={"events": [future]}, headers=auth)
    assert response.status_code == 422
    assert "future" in response.json()["detail"]

    assert [item["email"] for item in await _leads(client, auth)] == ["jane@acme.io"]
    report = (await client.get(f"/api/v1/leads/{lead['id']}", headers=auth)).json()
    assert report["events"] == []
    assert report["score"] == lead["score"]


async def test_batch_limits(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    event = {"email": "a@example.com", "kind": "visit", "occurred_at": recent()}
    too_many = await client.post(
        "/api/v1/events/batch", json={"events": [event] * 1001}, headers=auth
    )
    assert too_many.status_code == 422
    empty = await client.post("/api/v1/events/batch", json={"events": []}, headers=auth)
    assert empty.status_code == 422
    both = {**event, "lead_id": 1}
    response = await client.post("/api/v1/events", json=both, headers=auth)
    assert response.status_code == 422


async def test_events_need_the_events_write_scope(client: httpx.AsyncClient, make_key: Any) -> None:
    headers = {"X-API-Key": make_key("leads:read", "leads:write")}
    event = {"email": "a@example.com", "kind": "visit", "occurred_at": recent()}
    assert (await client.post("/api/v1/events", json=event, headers=headers)).status_code == 403


async def test_occurred_at_defaults_to_now(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    before = datetime.now(UTC)
    sent = await client.post(
        "/api/v1/events",
        headers=auth,
        json={"email": "kim@acme.io", "kind": "demo_request", "idempotency_key": "form-981"},
    )
    assert sent.status_code == 201, sent.text
    lead = await client.get("/api/v1/leads/by-email/kim@acme.io", headers=auth)
    events = lead.json()["events"]
    assert [e["kind"] for e in events] == ["demo_request"]
    assert datetime.fromisoformat(events[0]["at"]) >= before.replace(microsecond=0)
