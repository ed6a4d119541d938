"""`/api/v1/widgets`: widget settings through the API, for keys with `widgets:admin`."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from storage.apikeys import create_api_key


def _key(app: FastAPI, *scopes: str) -> dict[str, str]:
    with app.state.runtime.session() as session:
        _row, secret = create_api_key(session=session, name="test", scopes=scopes)
        session.commit()
    return {"Authorization": f"Bearer {secret}"}


async def test_create_change_read_and_list_widgets(client: httpx.AsyncClient, app: FastAPI) -> None:
    admin = _key(app, "widgets:admin")
    created = await client.post(
        "/api/v1/widgets",
        headers=admin,
        json={
            "public_id": "shop",
            "allowed_origins": ["https://Shop.Example.com/"],
            "greeting": "Hello!",
            "theme": {"color": "#112233", "position": "bottom-left"},
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["allowed_origins"] == ["https://shop.example.com"]
    assert body["theme"]["position"] == "bottom-left"
    assert body["theme"]["z_index"] == 2147483000
    changed = await client.patch(
        "/api/v1/widgets/shop", headers=admin, json={"theme": {"z_index": 10}}
    )
    assert changed.status_code == 200
    assert changed.json()["theme"] == {**body["theme"], "z_index": 10}
    assert changed.json()["greeting"] == "Hello!"
    read = await client.get("/api/v1/widgets/shop", headers=admin)
    assert read.json()["theme"]["z_index"] == 10
    listed = await client.get("/api/v1/widgets", headers=admin)
    assert [w["public_id"] for w in listed.json()] == ["demo", "shop"]
    config = await client.get("/widget/shop/config", headers={"origin": "https://shop.example.com"})
    assert config.json()["theme"]["z_index"] == 10


async def test_invalid_settings_are_422_and_change_nothing(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    admin = _key(app, "widgets:admin")
    for bad in (
        {"allowed_origins": ["https://example.com/path"]},
        {"allowed_origins": ["javascript:alert(1)"]},
        {"theme": {"color": "red"}},
        {"theme": {"position": "top-left"}},
        {"theme": {"z_index": "9"}},
        {"theme": {"offset_x": -5}},
        {"flow_id": "no-such-flow"},
    ):
        response = await client.patch("/api/v1/widgets/demo", headers=admin, json=bad)
        assert response.status_code == 422, bad
    demo = (await client.get("/api/v1/widgets/demo", headers=admin)).json()
    assert demo["theme"]["color"] == "#2563eb"
    assert (await client.get("/api/v1/widgets/nope", headers=admin)).status_code == 404


async def test_widget_admin_needs_a_key_with_the_scope(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    assert (await client.get("/api/v1/widgets")).status_code == 401
    reader = _key(app, "leads:read")
    assert (await client.get("/api/v1/widgets", headers=reader)).status_code == 403
