"""`baton serve`: run the web app with uvicorn."""

from __future__ import annotations

import typer
import uvicorn

from bot.runtime import build_runtime
from bot.settings import Settings


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
        settings = Settings()
        # Validate configuration and upgrade the database once, before workers start.
        build_runtime(settings).engine.dispose()
        typer.echo(
            f"Baton on http://{host or settings.host}:{port or settings.port}"
            f"  (database: {settings.database_url.split('@')[-1]})"
        )
        uvicorn.run(
            "bot.app:app_from_env",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=workers,
            log_level="info",
        )
