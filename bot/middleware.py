"""ASGI middleware of the app: request body limits (413) and security headers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

KIB = 1024


@dataclass(frozen=True)
class BodyLimit:
    """Requests under `path_prefix` (JSON only when `json_only`) may send at most `max_bytes`."""

    path_prefix: str
    max_bytes: int
    json_only: bool = False


DEFAULT_BODY_LIMITS: tuple[BodyLimit, ...] = (
    BodyLimit("/widget/", 64 * KIB),
    BodyLimit("/api/", 1024 * KIB, json_only=True),  # batch event ingest fits comfortably
    BodyLimit("/api/", 20 * 1024 * KIB),  # CSV uploads
    BodyLimit("/dashboard/", 1024 * KIB),  # form posts
)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


class BodySizeLimit:
    """Answers 413 before the app runs when a request body is larger than its limit, whether
    the size is declared (Content-Length) or only seen while reading a chunked body."""

    def __init__(self, app: ASGIApp, limits: Sequence[BodyLimit] = DEFAULT_BODY_LIMITS) -> None:
        self.app = app
        self.limits = tuple(limits)

    def _limit(self, scope: Scope) -> int | None:
        path = str(scope.get("path", ""))
        is_json = "json" in _header(scope, b"content-type").lower()
        for rule in self.limits:
            if path.startswith(rule.path_prefix) and (is_json or not rule.json_only):
                return rule.max_bytes
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self._limit(scope) if scope["type"] == "http" else None
        if limit is None or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([body], receive), send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {"error": "PayloadTooLarge", "detail": f"the request body is larger than {limit} bytes"}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
)


class SecurityHeaders:
    """Adds headers every response should carry (a response's own value wins). Pages that do
    not set their own Content-Security-Policy may not be framed at all."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {key.lower() for key, _ in headers}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in present]
                if b"content-security-policy" not in present:
                    extra.append((b"content-security-policy", b"frame-ancestors 'none'"))
                    extra.append((b"x-frame-options", b"DENY"))
                message = {**message, "headers": headers + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)
