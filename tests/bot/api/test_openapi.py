"""The OpenAPI document describes every REST endpoint with a summary and a response model."""

from __future__ import annotations

import httpx

ENDPOINTS = {
    ("post", "/api/v1/leads"): "LeadPublic",
    ("get", "/api/v1/leads"): "LeadPageOut",
    ("get", "/api/v1/leads/{lead_id}"): "LeadReportOut",
    ("get", "/api/v1/leads/by-email/{email}"): "LeadReportOut",
    ("post", "/api/v1/events"): "EventResult",
    ("post", "/api/v1/events/batch"): "EventBatchOut",
    ("post", "/api/v1/imports/leads"): "ImportReportOut",
    ("post", "/api/v1/imports/events"): "ImportReportOut",
}


async def test_openapi_documents_the_rest_api(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    for (method, path), model in ENDPOINTS.items():
        operation = schema["paths"][path][method]
        assert operation["summary"], path
        ok = next(code for code in ("200", "201") if code in operation["responses"])
        ref = operation["responses"][ok]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith(f"/{model}"), (path, ref)
        assert operation["security"], path  # API key required
    schemes = schema["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    assert "text/csv" in schema["paths"]["/api/v1/imports/leads"]["post"]["requestBody"]["content"]
