"""`baton widget create/update/show/list`, run as a real process."""

from __future__ import annotations

import json

from tests.bot.test_cli import baton


def test_widgets_are_configured_from_the_command_line(database_url: str) -> None:
    created = baton(
        "widget",
        "create",
        "--id",
        "shop",
        "--origin",
        "https://Shop.Example.com",
        "--origin",
        "http://localhost:3000",
        "--greeting",
        "Hi!",
        "--color",
        "#112233",
        "--position",
        "bottom-left",
        "--z-index",
        "50",
        database_url=database_url,
    )
    data = json.loads(created.stdout)
    assert data["allowed_origins"] == ["https://shop.example.com", "http://localhost:3000"]
    assert data["theme"]["position"] == "bottom-left" and data["theme"]["z_index"] == 50
    assert 'data-baton-widget="shop"' in data["embed"]
    baton("widget", "update", "shop", "--consent", "We may email you.", database_url=database_url)
    shown = json.loads(baton("widget", "show", "shop", database_url=database_url).stdout)
    assert shown["consent_text"] == "We may email you."
    assert shown["theme"]["color"] == "#112233"
    bad = baton(
        "widget", "update", "shop", "--color", "red", database_url=database_url, check=False
    )
    assert bad.returncode != 0 and "colour" in bad.stderr
    listed = baton("widget", "list", database_url=database_url).stdout
    assert "shop\ton" in listed
