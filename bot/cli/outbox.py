"""`baton outbox`: what is waiting to be delivered, what gave up, and retrying it."""

from __future__ import annotations

import typer

from bot.runtime import build_runtime
from bot.settings import Settings
from storage.outbox_worker import DEAD, DONE, PENDING, dead_items, outbox_summary, retry_dead


def build() -> typer.Typer:
    app = typer.Typer(help="Outbox items: Slack posts and webhooks awaiting delivery.")

    @app.callback(invoke_without_command=True)
    def summary(ctx: typer.Context) -> None:
        """Items by status and the newest dead ones with their errors."""
        if ctx.invoked_subcommand is not None:
            return
        rt = build_runtime(Settings())
        with rt.session() as session:
            counts = outbox_summary(session=session)
            dead = dead_items(session=session)
        for status in (PENDING, DONE, DEAD, *sorted(set(counts) - {PENDING, DONE, DEAD})):
            typer.echo(f"{status:<8} {counts.get(status, 0)}")
        if dead:
            typer.echo("newest dead items (retry with `baton outbox retry ID`):")
        for item in dead:
            error = item.last_error.splitlines()[0] if item.last_error else "-"
            typer.echo(f"  #{item.id}  {item.topic}  {item.attempts} attempts  {error}")

    @app.command()
    def retry(item_id: int = typer.Argument(..., metavar="ID", help="A dead item's id.")) -> None:
        """Queue a dead item for delivery again, with a fresh set of attempts."""
        rt = build_runtime(Settings())
        with rt.session() as session:
            item = retry_dead(session=session, item_id=item_id)
            session.commit()
        typer.echo(f"outbox item {item.id} ({item.topic}) is pending again")

    return app
