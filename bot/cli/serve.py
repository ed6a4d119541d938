"""`baton serve`: run the web app with uvicorn."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from bot.settings import Settings

if TYPE_CHECKING:  # the web stack loads in the server, not for every command
    from starlette.types import ASGIApp, Receive, Scope, Send

# Sync endpoints run in AnyIO's thread pool (40 threads unless told). A request is mostly
# Python holding the GIL plus short database calls, so past about a dozen threads a process
# gains no throughput, only contention (GIL switches, waits for SQLite's one writer) and longer
# tails; requests beyond these wait their turn in the event loop instead. The database pool is
# larger (storage.db.POOL_SIZE), so a request thread never waits for a connection while the
# outbox and live-chat loops (asyncio's default executor) hold some.
THREADS = 12


class ThreadPoolSize:
    """The app, with AnyIO's default thread pool set to `threads` when the server starts."""

    def __init__(self, app: ASGIApp, threads: int) -> None:
        self.app = app
        self.threads = threads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            from anyio import to_thread

            to_thread.current_default_thread_limiter().total_tokens = self.threads
        await self.app(scope, receive, send)


def served_app() -> ASGIApp:
    """Factory for `uvicorn --factory bot.cli.serve:served_app`: the app of `app_from_env`
    with its thread pool sized (see THREADS)."""
    from bot.app import app_from_env  # the web stack loads in the server, not in every command

    return ThreadPoolSize(app_from_env(), THREADS)


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: str = typer.Option(
            None, help="Interface to bind (default: BATON_HOST or 127.0.0.1)."
        ),
        port: int = typer.Option(None, help="Port (default: BATON_PORT or 8000)."),
        workers: int = typer.Option(1, min=1, help="Worker processes."),
    ) -> None:
        """Run Baton's web app (health and version endpoints; channels mount here)."""
        import uvicorn

        from bot.runtime import build_runtime

        settings = Settings()
        # Validate configuration and upgrade the database once, before workers start.
        build_runtime(settings).engine.dispose()
        typer.echo(
            f"Baton on http://{host or settings.host}:{port or settings.port}"
            f"  (database: {settings.database_url.split('@')[-1]})"
        )
        uvicorn.run(
            "bot.cli.serve:served_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            log_level="info",
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
        )
