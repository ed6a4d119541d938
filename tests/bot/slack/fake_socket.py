"""A fake Slack Socket Mode server on loopback: the websocket that apps.connections.open names.

Slack's side of Socket Mode: on connect it sends `hello`; it then sends envelopes
({"envelope_id", "type", "payload", "accepts_response_payload"}) and the app answers each with
{"envelope_id", "payload"?} within 3 seconds.
"""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web


@dataclass
class FakeSocket:
    """`await start()` in the test's event loop; `url` is what apps.connections.open returns."""

    acks: list[dict[str, Any]] = field(default_factory=list)
    connections: int = 0
    _link: web.WebSocketResponse | None = None
    _runner: web.AppRunner | None = None
    _port: int = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/link"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/link", self._serve)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        self._port = listener.getsockname()[1]
        await web.SockSite(self._runner, listener).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        link = web.WebSocketResponse()
        await link.prepare(request)
        self._link = link
        self.connections += 1
        await link.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "debug_info": {"host": "fake-socket", "approximate_connection_time": 3600},
                "connection_info": {"app_id": "A0001"},
            }
        )
        async for message in link:
            if message.type == WSMsgType.TEXT:
                self.acks.append(json.loads(message.data))
        if self._link is link:
            self._link = None
        return link

    async def wait_connected(self, timeout: float = 20.0) -> None:
        await _until(lambda: self._link is not None, timeout, "Baton never connected")

    @property
    def connected(self) -> bool:
        return self._link is not None

    async def send(self, kind: str, payload: dict[str, Any]) -> str:
        """Send one envelope of `kind` (slash_commands, interactive, events_api); its id."""
        assert self._link is not None, "nobody is connected"
        envelope_id = str(uuid.uuid4())
        await self._link.send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        return envelope_id

    async def ack_of(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The app's answer to one envelope (fails if none arrives in time)."""

        def found() -> bool:
            return any(a.get("envelope_id") == envelope_id for a in self.acks)

        await _until(found, timeout, f"envelope {envelope_id} was never acknowledged")
        return next(a for a in self.acks if a.get("envelope_id") == envelope_id)


async def _until(condition: Any, timeout: float, failure: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(failure)
        await asyncio.sleep(0.02)
