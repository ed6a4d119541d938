"""`baton db`: schema upgrades and status."""

from __future__ import annotations

import typer

from bot.settings import Settings
from storage.db import create_db_engine, database_revision_state, upgrade_database


def build() -> typer.Typer:
    app = typer.Typer(help="Database schema.", no_args_is_help=True)

    @app.command()
    def upgrade() -> None:
        """Apply every pending migration (safe to run again)."""
        engine = create_db_engine(Settings().database_url)
        before, head = database_revision_state(engine)
        upgrade_database(engine)
        after, _ = database_revision_state(engine)
        if before == after:
            typer.echo(f"database is up to date (revision {after})")
        else:
            typer.echo(f"database upgraded: {before or 'empty'} -> {after} (head {head})")

    @app.command()
    def status() -> None:
        """Show the current and the latest schema revision."""
        engine = create_db_engine(Settings().database_url)
        current, head = database_revision_state(engine)
        state = "up to date" if current == head else "behind: run `baton db upgrade`"
        typer.echo(f"revision {current or 'none'} (head {head}): {state}")

    return app
