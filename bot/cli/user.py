"""`baton user`: SDRs and managers."""

from __future__ import annotations

import typer

from bot.runtime import build_runtime
from bot.settings import Settings
from qualification.stages import Role
from storage.users import create_user


def build() -> typer.Typer:
    app = typer.Typer(help="Baton users (SDRs and managers).", no_args_is_help=True)

    @app.command()
    def add(
        email: str = typer.Argument(...),
        role: Role = typer.Option(Role.SDR, help="sdr or manager."),
        name: str = typer.Option("", help="Display name."),
        slack_id: str = typer.Option(None, help="Slack user id (U…)."),
    ) -> None:
        """Add a user."""
        rt = build_runtime(Settings())
        with rt.session() as session:
            user = create_user(
                session=session, email=email, name=name, role=role, slack_user_id=slack_id
            )
            session.commit()
            typer.echo(f"added {user.role.value} {user.email} (id {user.id})")

    return app
