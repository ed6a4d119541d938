"""`baton serve` sizes the thread pool that runs the app's sync endpoints."""

from __future__ import annotations

from anyio import to_thread
from starlette.types import Message, Receive, Scope, Send

from bot.cli.serve import THREADS, ThreadPoolSize


async def test_the_thread_pool_is_sized_when_the_server_starts() -> None:
    seen: list[tuple[str, float]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send(await receive())
        seen.append((scope["type"], to_thread.current_default_thread_limiter().total_tokens))

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        assert message == {"type": "lifespan.startup"}

    assert to_thread.current_default_thread_limiter().total_tokens == 40  # AnyIO's default
    await ThreadPoolSize(app, THREADS)({"type": "lifespan"}, receive, send)
    await ThreadPoolSize(app, 5)({"type": "http"}, receive, send)
    # Set once, at start-up; requests leave it alone.
    assert seen == [("lifespan", THREADS), ("http", THREADS)]
