"""One pool of HTTP connections to the Slack Web API per process, open while the app runs.

Without a session, slack_sdk opens an aiohttp session, and so a TCP and TLS connection to
slack.com, for every call. `SlackHttp` holds one session that the bolt app and the outbox
deliveries share, made on first use in the event loop that runs the app (an aiohttp session
belongs to the loop it is made in) and closed when the app stops. A call made outside
`running()`, or in another loop, gets no session, and slack_sdk opens one for that call alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

# Connections to Slack at once: the after-ack lane runs 8 jobs (bot.slack.lanes), modals open
# before their ack, and the outbox worker delivers one item at a time. A call past the limit
# waits for a connection (within its timeout).
CONNECTIONS = 16
# Per attempt (slack_sdk's own default is 30 s in all); an unreachable Slack fails sooner, as a
# connection error that the client's retry handler retries.
TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=10)


class SlackHttp:
    """The Web API session of one app: `running()` in its lifespan, `session()` per call."""

    def __init__(
        self, *, connections: int = CONNECTIONS, timeout: aiohttp.ClientTimeout = TIMEOUT
    ) -> None:
        self._connections = connections
        self._timeout = timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: aiohttp.ClientSession | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Share one session among the calls made in this event loop until the block ends;
        then close it (calls still using it fail; later ones open a session of their own)."""
        if self._loop is not None:
            raise RuntimeError("the Slack HTTP session is already running")
        self._loop = asyncio.get_running_loop()
        try:
            yield
        finally:
            session, self._session, self._loop = self._session, None, None
            if session is not None:
                await session.close()

    def session(self) -> aiohttp.ClientSession | None:
        """The session for a call made now, opened on first use; None outside `running()` or
        in another event loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        if loop is not self._loop:
            return None
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._connections, limit_per_host=self._connections
                ),
                timeout=self._timeout,
            )
        return self._session


class PooledWebClient(AsyncWebClient):
    """A Web API client whose `session` is `http`'s at the time it is read.

    A property, not a session fixed at construction: the bolt app builds a plain client per
    request from its client's `session` (slack_bolt AsyncApp._init_context), which then uses
    the pool too. slack_sdk never closes a session it was given, and opens one of its own
    when it has none or the one it has is closed.
    """

    def __init__(self, http: SlackHttp, **kwargs: Any) -> None:
        self._http = http
        super().__init__(**kwargs)

    @property
    def session(self) -> aiohttp.ClientSession | None:
        return self._http.session()

    @session.setter
    def session(self, value: aiohttp.ClientSession | None) -> None:
        if value is not None:  # AsyncBaseClient.__init__ sets None; anything else would bypass
            raise ValueError("a PooledWebClient takes its session from its SlackHttp")
