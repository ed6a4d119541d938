"""The Slack app manifest matches what the bolt app listens for, and `baton slack manifest`."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from click.testing import Result
from slack_bolt.async_app import AsyncApp
from typer.testing import CliRunner

from bot.cli.main import build_cli
from bot.slack.app import build_slack_app
from bot.slack.manifest import EVENTS_PATH, PLACEHOLDER_URL, load_manifest
from tests.bot.slack.conftest import SlackBaton

# What Slack needs in the manifest before it sends a bot event (None: no scope needed).
EVENT_SCOPES = {
    "app_home_opened": None,
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "message.mpim": "mpim:history",
}
INTERACTIVE = {"action", "block_action", "view", "view_submission", "view_closed"}
SHORTCUTS = {"shortcut", "global_shortcut", "message_shortcut"}


def _closure(function: Any) -> dict[str, Any]:
    cells = function.__closure__ or ()
    return dict(zip(function.__code__.co_freevars, (c.cell_contents for c in cells), strict=True))


def listened_for(app: AsyncApp) -> set[tuple[str, str]]:
    """(kind, name) of every listener: ("command", "/qualify"), ("event", "message"), …

    Read from each listener's primary matcher, which bolt builds from what was registered
    (`app.command("/qualify")` keeps "/qualify" in the matcher's closure). A kind this test
    does not know fails it, so a new kind of listener cannot slip past the manifest.
    """
    found: set[tuple[str, str]] = set()
    for listener in app._async_listeners:
        matcher = listener.matchers[0]
        match = _closure(matcher.func)["func"]  # bolt wraps the sync matcher for asyncio
        kind = match.__qualname__.split(".<locals>")[0]
        values = _closure(match)
        if kind == "command":
            found.add(("command", values["command"]))
        elif kind in SHORTCUTS:
            found.add(("shortcut", values["callback_id"]))
        elif kind == "event" and "event_type" in values:
            found.add(("event", values["event_type"]))
        elif kind in ("event", "message_event"):
            found.add(("event", values["constraints"]["type"]))
        elif kind in INTERACTIVE:
            found.add(("interactive", kind))
        else:
            raise AssertionError(f"a {kind} listener: add what it needs to the manifest check")
    return found


def declared(manifest: dict[str, Any]) -> set[tuple[str, str]]:
    """The same (kind, name) pairs, as the manifest makes Slack send them."""
    features, settings = manifest["features"], manifest["settings"]
    events = settings["event_subscriptions"]["bot_events"]
    return {
        *(("command", c["command"]) for c in features.get("slash_commands", [])),
        *(("shortcut", s["callback_id"]) for s in features.get("shortcuts", [])),
        # message.im, message.channels … all arrive as "message" events
        *(("event", event.split(".")[0]) for event in events),
    }


async def test_the_manifest_declares_exactly_what_the_app_listens_for(baton: SlackBaton) -> None:
    manifest = load_manifest()
    app = build_slack_app(baton.runtime.settings, baton.runtime)
    code = listened_for(app)
    assert {kind for kind, _ in code} >= {"command", "shortcut", "event", "interactive"}
    in_code = {item for item in code if item[0] != "interactive"}
    assert in_code == declared(manifest)
    assert ("command", "/qualify") in in_code and ("shortcut", "log_call_notes") in in_code

    features, settings = manifest["features"], manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True  # buttons, modals and shortcuts
    (shortcut,) = features["shortcuts"]
    assert shortcut["type"] == "message"  # it reads the message it is used on
    assert shortcut["name"] == "Log as call notes for a lead"


def test_every_event_and_feature_has_its_scope() -> None:
    manifest = load_manifest()
    features, settings = manifest["features"], manifest["settings"]
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    events = settings["event_subscriptions"]["bot_events"]
    assert len(events) == len(set(events))
    for event in events:
        assert event in EVENT_SCOPES, f"{event}: say which scope it needs"
        needed = EVENT_SCOPES[event]
        assert needed is None or needed in scopes, f"{event} needs {needed}"
    assert "commands" in scopes  # slash commands and shortcuts
    assert {"chat:write", "im:write", "users:read", "users:read.email"} <= scopes
    assert features["app_home"]["home_tab_enabled"] is True  # app_home_opened
    # "qualify <lead>" in a DM: the Messages tab must be open for writing.
    assert features["app_home"]["messages_tab_enabled"] is True
    assert features["app_home"]["messages_tab_read_only_enabled"] is False
    assert settings["socket_mode_enabled"] is False


async def test_every_request_url_is_the_slack_route(baton: SlackBaton) -> None:
    manifest = load_manifest()
    urls = [
        *(c["url"] for c in manifest["features"]["slash_commands"]),
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
    ]
    assert set(urls) == {PLACEHOLDER_URL + EVENTS_PATH}
    routes = {getattr(route, "path", None) for route in baton.app.routes}
    assert EVENTS_PATH in routes


def _manifest_cli(*args: str, public_url: str | None = None) -> Result:
    """`baton slack manifest ARGS`, in process, with BATON_PUBLIC_URL as given."""
    return CliRunner().invoke(
        build_cli(), ["slack", "manifest", *args], env={"BATON_PUBLIC_URL": public_url}
    )


def _urls(manifest: dict[str, Any]) -> list[str]:
    return re.findall(r"https?://[^'\"\s]+", yaml.safe_dump(manifest))


def test_manifest_command_fills_in_the_public_url() -> None:
    result = _manifest_cli("--url", "https://sales.acme.io/baton/")
    assert result.exit_code == 0, result.stderr
    printed = yaml.safe_load(result.stdout)
    assert _urls(printed) == ["https://sales.acme.io/baton/slack/events"] * 3
    shipped = load_manifest()
    assert printed["features"]["shortcuts"] == shipped["features"]["shortcuts"]
    assert printed["oauth_config"] == shipped["oauth_config"]
    assert printed["settings"]["socket_mode_enabled"] is False

    from_env = _manifest_cli(public_url="https://baton.acme.io")
    assert from_env.exit_code == 0, from_env.stderr
    assert _urls(yaml.safe_load(from_env.stdout)) == ["https://baton.acme.io/slack/events"] * 3


def test_manifest_command_for_socket_mode_has_no_urls() -> None:
    result = _manifest_cli("--socket")
    assert result.exit_code == 0, result.stderr
    printed = yaml.safe_load(result.stdout)
    assert printed["settings"]["socket_mode_enabled"] is True
    assert _urls(printed) == []
    shipped = load_manifest()
    assert printed["settings"]["event_subscriptions"] == {
        "bot_events": shipped["settings"]["event_subscriptions"]["bot_events"]
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give Baton's public URL with --url or BATON_PUBLIC_URL, or use --socket"),
        (("--url", "http://localhost:8000"), "Slack only sends requests to https:// URLs"),
    ],
)
def test_manifest_command_refuses_a_missing_or_plain_http_url(
    args: tuple[str, ...], message: str
) -> None:
    result = _manifest_cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
