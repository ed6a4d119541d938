"""The loader script, the chat frame page and the demo page."""

from __future__ import annotations

import json
import re
from html import unescape

import httpx
from fastapi import FastAPI

from bot.widget.loader import LOADER_VERSION
from storage.widgets import get_widget, update_widget


async def test_the_loader_is_versioned_and_revalidated_by_etag(client: httpx.AsyncClient) -> None:
    response = await client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "max-age" in response.headers["cache-control"]
    assert f'var VERSION = "{LOADER_VERSION}"' in response.text
    assert "document.currentScript" in response.text
    assert "postMessage(" in response.text and '"*"' not in response.text
    assert len(response.content) < 12_000
    etag = response.headers["etag"]
    again = await client.get("/widget.js", headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""


async def test_the_frame_carries_its_config_escaped(
    client: httpx.AsyncClient, app: FastAPI, site_widget: str
) -> None:
    rt = app.state.runtime
    hostile = '"><script>alert(1)</script>'
    with rt.session() as session:
        widget = get_widget(session=session, public_id=site_widget)
        update_widget(session=session, widget=widget, flows=rt.flows, changes={"greeting": hostile})
        session.commit()
    page = await client.get(
        f"/widget/{site_widget}/frame", params={"origin": "https://www.example.com"}
    )
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text
    assert 'role="log"' in page.text and 'aria-live="polite"' in page.text
    match = re.search(r'data-config="([^"]*)"', page.text)
    assert match is not None
    config = json.loads(unescape(match.group(1)))
    assert config["greeting"] == hostile
    assert config["parent_origin"] == "https://www.example.com"
    assert config["consent_text"] == "We may email you."
    assert config["turn_url"] == f"/widget/{site_widget}/turn"
    assert config["restart_url"] == f"/widget/{site_widget}/restart"
    script = await client.get("/widget-assets/frame.js")
    assert script.status_code == 200
    assert ".innerHTML" not in script.text
    assert (await client.get("/widget-assets/secrets.txt")).status_code == 404


async def test_the_demo_page_embeds_the_demo_widget_with_one_tag(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert (
        '<script src="http://127.0.0.1:8000/widget.js" data-baton-widget="demo" async></script>'
        in page.text
    )
    assert "http://127.0.0.1:8000/docs" in page.text
    config = await client.get("/widget/demo/config", headers={"origin": "http://localhost:8000"})
    assert config.status_code == 200
    assert config.headers["access-control-allow-origin"] == "http://localhost:8000"
