"""A fake Slack Web API server on loopback: records every call and answers like Slack."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

# A held call is answered after this long even if nobody lets it go (so a test fails, not hangs).
HOLD_LIMIT_SECONDS = 30.0


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None
    status: int = 200  # the HTTP status answered (a queued failure's, or 200)
    ok: bool = True  # whether the answer was `"ok": true`
    answer: dict[str, Any] = field(default_factory=dict)  # the body answered
    answered: bool = False  # whether the answer has been sent (see FakeSlack.hold)
    at: float = field(default_factory=time.perf_counter)  # when the call arrived
    peer: tuple[str, int] = ("", 0)  # the client's address: one per TCP connection


@dataclass
class FakeSlack:
    """Start with `start()`; `url` is the Web API base URL to give Baton."""

    calls: list[Call] = field(default_factory=list)
    # Queued failures by method: (calls to answer normally first, status, headers).
    failures: dict[str, list[tuple[int, int, dict[str, str]]]] = field(default_factory=dict)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    # users.info answers by user id (see `add_user`); other ids get user_not_found.
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Socket Mode: the websocket URL apps.connections.open hands out (None: the app token is
    # refused, as Slack refuses a token without connections:write).
    socket_url: str | None = None
    # Methods whose calls are held open, unanswered, until their gate is set (see `hold`).
    held: dict[str, threading.Event] = field(default_factory=dict)
    # The client connections that have ended (the client closed them, or the server stopped).
    ended: list[tuple[str, int]] = field(default_factory=list)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/api/"

    def fail_next(
        self, method: str, *, status: int = 429, retry_after: int = 0, after: int = 0
    ) -> None:
        """Answer the next call of `method` with `status` (a 429 carries Retry-After); with
        `after`, that many calls are answered normally first."""
        headers = {"Retry-After": str(retry_after)}
        self.failures.setdefault(method, []).append((after, status, headers))

    def hold(self, method: str) -> threading.Event:
        """Keep every call of `method` open, recorded but unanswered, until the returned gate
        is set (as a slow Slack would); then each is answered as usual."""
        gate = threading.Event()
        self.held[method] = gate
        return gate

    def add_user(self, user_id: str, *, email: str | None, name: str = "", **more: Any) -> None:
        """Let users.info describe `user_id` (no email: as without the users:read.email scope)."""
        profile: dict[str, Any] = {"real_name": name, "display_name": name}
        if email is not None:
            profile["email"] = email
        self.users[user_id] = {"id": user_id, "name": name.lower(), "profile": profile, **more}

    def of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Wait until Baton has made `count` calls of `method` (listeners run after the ack)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.of(method)) < count:
            if loop.time() > deadline:
                made = [c.method for c in self.calls]
                raise AssertionError(f"expected {count} {method} call(s); calls made: {made}")
            await asyncio.sleep(0.02)
        return self.of(method)

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            queued = self.failures.get(method)
            if queued and queued[0][0] > 0:
                after, status, headers = queued[0]
                queued[0] = (after - 1, status, headers)
            elif queued:
                _, status, headers = queued.pop(0)
                return status, headers, {"ok": False, "error": "ratelimited"}
        if method == "auth.test":
            body: dict[str, Any] = {
                "ok": True,
                "url": "https://acme.slack.com/",
                "team": "Acme",
                "user": "baton",
                "team_id": "T0001",
                "user_id": "UBOT",
                "bot_id": "BBOT",
            }
        elif method in ("chat.postMessage", "chat.update"):
            ts = params.get("ts") or f"1700000000.{next(self._ts):06d}"
            body = {"ok": True, "channel": params.get("channel"), "ts": ts, "message": {}}
        elif method in ("views.open", "views.publish", "views.update"):
            body = {"ok": True, "view": {"id": "V0001", **(params.get("view") or {})}}
        elif method == "apps.connections.open":
            if self.socket_url is None:
                body = {"ok": False, "error": "invalid_auth"}
            else:
                body = {"ok": True, "url": self.socket_url}
        elif method == "users.info":
            found = self.users.get(str(params.get("user")))
            missing = {"ok": False, "error": "user_not_found"}
            body = {"ok": True, "user": found} if found else missing
        elif method == "chat.postEphemeral":
            body = {"ok": True, "message_ts": "1700000000.999999"}
        else:
            body = {"ok": True}
        return 200, {}, body

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Slack's: a client may reuse it

            def finish(self) -> None:
                super().finish()
                with fake._lock:
                    fake.ended.append(self.client_address[:2])

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    params: dict[str, Any] = json.loads(raw or "{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(raw).items()}
                for key in ("view", "blocks"):
                    if isinstance(params.get(key), str):
                        params[key] = json.loads(params[key])
                path, _, query = self.path.partition("?")
                params.update({k: v[0] for k, v in parse_qs(query).items()})
                method = path.rsplit("/", 1)[-1]
                auth = self.headers.get("Authorization")
                call = Call(method, params, auth, peer=self.client_address[:2])
                with fake._lock:
                    fake.calls.append(call)
                gate = fake.held.get(method)
                if gate is not None:
                    gate.wait(HOLD_LIMIT_SECONDS)
                status, headers, body = fake.answer(method, params)
                call.status, call.ok, call.answer = status, bool(body.get("ok")), body
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
                call.answered = True

            do_GET = do_POST  # users.info is a GET: its parameters are in the query string

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                del format, args

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        for gate in self.held.values():
            gate.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
