"""The privacy API: export and erase a lead, with the `privacy` scope only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI

from storage.privacy import erasure_log
from tests.bot.api.conftest import KeyMaker
from tests.storage.privacy_seed import EMAIL, MARKER, seed_person, traces


async def _seed(client: httpx.AsyncClient, app: FastAPI, make_key: KeyMaker) -> int:
    person = seed_person(app.state.runtime)
    event = {
        "email": EMAIL,
        "kind": "email_click",
        "occurred_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "url": f"https://mail.example/c?u={MARKER}",
        "idempotency_key": f"click-{MARKER}",
        "properties": {"subject": f"Hello {MARKER}"},
    }
    writer = {"Authorization": f"Bearer {make_key('events:write')}"}
    assert (await client.post("/api/v1/events", json=event, headers=writer)).status_code == 201
    return person.lead_id


async def test_export_and_erase_need_the_privacy_scope(
    client: httpx.AsyncClient, app: FastAPI, make_key: KeyMaker
) -> None:
    lead_id = await _seed(client, app, make_key)
    reader = {"X-API-Key": make_key("leads:read", "leads:write")}
    for method in ("GET", "DELETE"):
        url = f"/api/v1/leads/{lead_id}" + ("/export" if method == "GET" else "")
        anonymous = await client.request(method, url)
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == "Bearer"
        refused = await client.request(method, url, headers=reader)
        assert refused.status_code == 403
        assert "privacy" in refused.json()["detail"]
    with app.state.runtime.session() as session:
        assert traces(session, MARKER, EMAIL)  # nothing was erased
        assert erasure_log(session=session) == []


async def test_export_then_erase_over_http(
    client: httpx.AsyncClient, app: FastAPI, make_key: KeyMaker
) -> None:
    lead_id = await _seed(client, app, make_key)
    desk = {"Authorization": f"Bearer {make_key('privacy', name='privacy desk')}"}

    exported = await client.get(f"/api/v1/leads/{lead_id}/export", headers=desk)
    assert exported.status_code == 200
    data = exported.json()
    assert data["lead"]["email"] == EMAIL
    assert {e["kind"] for e in data["behaviour_events"]} >= {"email_click", "content_download"}
    assert any(MARKER in m["text"] for c in data["conversations"] for m in c["messages"])
    assert data["visitors"] and data["slack_threads"] and data["slack_posts"]

    erased = await client.delete(f"/api/v1/leads/{lead_id}", headers=desk)
    assert erased.status_code == 200
    report = erased.json()
    assert report["lead_id"] == lead_id and report["nothing_left"] is False
    assert report["removed"]["events"] == 3  # download, visit, click
    assert report["audit_id"] and "Slack" in report["note"]
    with app.state.runtime.session() as session:
        assert traces(session, MARKER, EMAIL) == []
        (entry,) = erasure_log(session=session)
    assert entry["id"] == report["erasure_id"] and entry["removed"] == report["removed"]
    assert entry["lead_id"] == lead_id and entry["basis"] == "request"
    assert entry["actor"].startswith("marketing:api key bk_") and "privacy desk" in entry["actor"]

    reader = {"X-API-Key": make_key("leads:read")}
    tombstone = (await client.get(f"/api/v1/leads/{lead_id}", headers=reader)).json()
    assert tombstone["lead"]["email"] is None and tombstone["lead"]["name"] == ""
    assert tombstone["answers"] == [] and tombstone["conversations"] == []
    gone = await client.get(f"/api/v1/leads/by-email/{EMAIL}", headers=reader)
    assert gone.status_code == 404

    again = await client.delete(f"/api/v1/leads/{lead_id}", headers=desk)
    assert again.status_code == 200
    assert again.json()["nothing_left"] is True and again.json()["removed"] == {}
    assert again.json()["erasure_id"] is None
    missing = await client.delete("/api/v1/leads/999999", headers=desk)
    assert missing.status_code == 404
    assert (await client.get("/api/v1/leads/999999/export", headers=desk)).status_code == 404


async def test_openapi_documents_the_privacy_endpoints(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    for method, path, model in (
        ("get", "/api/v1/leads/{lead_id}/export", "LeadExportOut"),
        ("delete", "/api/v1/leads/{lead_id}", "ErasureOut"),
    ):
        operation = schema["paths"][path][method]
        assert operation["summary"] and operation["security"]
        assert "privacy" in operation["tags"]
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith(f"/{model}")
