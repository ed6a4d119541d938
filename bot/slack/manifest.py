"""The Slack app manifest (bot/slack/manifest.yaml), with the request URLs of one deployment."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from qualification.errors import BatonError

MANIFEST_FILE = Path(__file__).with_name("manifest.yaml")
PLACEHOLDER_URL = "https://baton.example.com"
EVENTS_PATH = "/slack/events"  # where bot.slack.mount_slack serves every Slack request


class ManifestError(BatonError):
    """The manifest cannot be filled in as asked (no URL, or one Slack would not accept)."""


def load_manifest() -> dict[str, Any]:
    """The manifest as shipped, with the placeholder URL."""
    manifest = yaml.safe_load(MANIFEST_FILE.read_text(encoding="utf-8"))
    assert isinstance(manifest, dict)
    return manifest


def request_url(public_url: str) -> str:
    """Baton's Slack endpoint under `public_url`; Slack only sends requests over https."""
    parts = urlsplit(public_url.strip())
    if parts.scheme != "https" or not parts.netloc:
        raise ManifestError(
            f"Slack only sends requests to https:// URLs; {public_url!r} is not one"
            " (for local development use `baton slack manifest --socket`)"
        )
    return f"https://{parts.netloc}{parts.path.rstrip('/')}{EVENTS_PATH}"


def manifest_for(*, public_url: str | None, socket_mode: bool = False) -> dict[str, Any]:
    """The manifest for one deployment: every request URL points at `public_url`, or, for
    Socket Mode, the URLs are left out (Slack uses the websocket instead)."""
    manifest = load_manifest()
    features, settings = manifest["features"], manifest["settings"]
    if socket_mode:
        settings["socket_mode_enabled"] = True
        for command in features.get("slash_commands", []):
            command.pop("url", None)
        settings["event_subscriptions"].pop("request_url", None)
        settings["interactivity"].pop("request_url", None)
        return manifest
    if not public_url:
        raise ManifestError(
            "give Baton's public URL with --url or BATON_PUBLIC_URL, or use --socket"
        )
    url = request_url(public_url)
    for command in features.get("slash_commands", []):
        command["url"] = url
    settings["event_subscriptions"]["request_url"] = url
    settings["interactivity"]["request_url"] = url
    return manifest


def manifest_yaml(manifest: dict[str, Any]) -> str:
    """YAML to paste into Slack's "From an app manifest" dialog (keys in manifest order)."""
    return yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100)
