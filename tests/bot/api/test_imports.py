"""CSV imports over HTTP: text/csv or multipart bodies, a report, all or nothing."""

from __future__ import annotations

import httpx

from tests.bot.api.conftest import KeyMaker

GOOD = "email,name,employee_count\njane@acme.io,Jane,250\nbob@acme.io,Bob,12\n"
BAD = "email,name,employee_count\njane@acme.io,Jane,250\nnope,Nope,many\n"


def csv_headers(auth: dict[str, str]) -> dict[str, str]:
    return {**auth, "Content-Type": "text/csv"}


async def _emails(client: httpx.AsyncClient, auth: dict[str, str]) -> list[str]:
    items = (await client.get("/api/v1/leads", headers=auth)).json()["items"]
    return sorted(item["email"] for item in items)


async def test_import_leads_as_text_csv(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await client.post(
        "/api/v1/imports/leads", content=GOOD.encode(), headers=csv_headers(auth)
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["applied"] and report["imported"] == 2 and report["leads_created"] == 2
    assert await _emails(client, auth) == ["bob@acme.io", "jane@acme.io"]


async def test_import_events_as_multipart_file(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    text = "email,kind,occurred_at,idempotency_key\njane@acme.io,visit,2026-01-01T00:00:00Z,a1\n"
    response = await client.post(
        "/api/v1/imports/events",
        files={"file": ("events.csv", text.encode(), "text/csv")},
        headers=auth,
    )
    assert response.status_code == 200, response.text
    assert response.json()["events_created"] == 1 and response.json()["leads_created"] == 1


async def test_rejected_rows_are_a_422_report_and_nothing_is_imported(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/imports/leads", content=BAD.encode(), headers=csv_headers(auth)
    )
    assert response.status_code == 422
    report = response.json()
    assert report["applied"] is False and report["imported"] == 0
    assert [r["line"] for r in report["rejected"]] == [3]
    assert any("not a valid email" in reason for reason in report["rejected"][0]["reasons"])
    assert await _emails(client, auth) == []

    skipped = await client.post(
        "/api/v1/imports/leads",
        params={"skip_invalid": "true"},
        content=BAD.encode(),
        headers=csv_headers(auth),
    )
    assert skipped.status_code == 200
    assert skipped.json()["imported"] == 1 and len(skipped.json()["rejected"]) == 1
    assert await _emails(client, auth) == ["jane@acme.io"]


async def test_unreadable_files_are_422_with_a_clear_reason(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    cases = [
        ("email,name\na@acme.io,Jos\u00e9\n".encode("cp1252"), "not UTF-8"),
        (b"name\nJane\n", "missing required columns: email"),
        (b"email,shoe_size\na@acme.io,9\n", "unknown columns: 'shoe_size'"),
    ]
    for data, reason in cases:
        response = await client.post(
            "/api/v1/imports/leads", content=data, headers=csv_headers(auth)
        )
        assert response.status_code == 422
        assert reason in response.json()["detail"]
    no_file = await client.post(
        "/api/v1/imports/leads",
        files={"other": ("x.txt", b"a", "text/plain")},
        data={},
        headers=auth,
    )
    assert no_file.status_code == 422


async def test_imports_need_the_write_scope(client: httpx.AsyncClient, make_key: KeyMaker) -> None:
    headers = {"X-API-Key": make_key("leads:read"), "Content-Type": "text/csv"}
    response = await client.post("/api/v1/imports/leads", content=GOOD.encode(), headers=headers)
    assert response.status_code == 403
    anonymous = await client.post("/api/v1/imports/events", content=b"email\n")
    assert anonymous.status_code == 401


async def test_oversized_upload_is_413(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    big = b"email\n" + b"someone@example.com\n" * (21 * 1024 * 1024 // 20)
    response = await client.post("/api/v1/imports/leads", content=big, headers=csv_headers(auth))
    assert response.status_code == 413
