"""Requests as Slack sends them: documented payload formats, signed with the signing secret."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = {"id": "T0001", "domain": "acme"}


def signature(secret: str, timestamp: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256)
    return "v0=" + digest.hexdigest()


async def send(
    client: httpx.AsyncClient,
    body: str,
    content_type: str,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    all_headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature(secret, ts, body),
        **(headers or {}),
    }
    return await client.post("/slack/events", content=body.encode(), headers=all_headers)


def command_body(user_id: str, text: str, *, channel: str = "CSDR") -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": TEAM["id"],
            "team_domain": TEAM["domain"],
            "channel_id": channel,
            "channel_name": "sales",
            "user_id": user_id,
            "user_name": "someone",
            "command": "/qualify",
            "text": text,
            "api_app_id": "A0001",
            "response_url": "https://hooks.slack.test/commands/1",
            "trigger_id": f"trigger-{user_id}",
        }
    )


def interaction_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def block_action(
    user_id: str, action_id: str, value: str, *, channel: str = "CAPPROVE", ts: str = "1.1"
) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": TEAM,
        "user": {"id": user_id, "username": "someone", "team_id": TEAM["id"]},
        "api_app_id": "A0001",
        "token": "legacy",
        "container": {"type": "message", "message_ts": ts, "channel_id": channel},
        "trigger_id": f"trigger-{user_id}",
        "channel": {"id": channel, "name": "approvals"},
        "message": {"type": "message", "ts": ts, "text": "card"},
        "response_url": "https://hooks.slack.test/actions/1",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b",
                "value": value,
                "action_ts": "1700000001.000001",
            }
        ],
    }


def view_submission(
    user_id: str, callback_id: str, values: dict[str, Any], metadata: dict[str, Any]
) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": TEAM,
        "user": {"id": user_id, "username": "someone", "team_id": TEAM["id"]},
        "api_app_id": "A0001",
        "token": "legacy",
        "trigger_id": f"trigger-{user_id}",
        "view": {
            "id": "V0001",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": json.dumps(metadata),
            "state": {"values": values},
            "hash": "1",
        },
    }


def text_value(text: str) -> dict[str, Any]:
    return {"value": {"type": "plain_text_input", "value": text}}


def event_body(event_id: str, event: dict[str, Any]) -> str:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM["id"],
            "api_app_id": "A0001",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
        }
    )


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
