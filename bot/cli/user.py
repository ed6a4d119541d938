"""`baton user`: SDRs and managers, their dashboard passwords and sessions."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import typer

from bot.runtime import build_runtime
from bot.settings import Settings
from qualification.errors import InvalidInput, NotFound
from qualification.stages import Role
from storage.accounts import set_password
from storage.dashboard_sessions import end_user_sessions
from storage.passwords import check_policy
from storage.users import create_user, get_user_by_email

PROMPT_TRIES = 3


def _from_stdin() -> str:
    """The first line of standard input, without its line ending."""
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise InvalidInput("no password on standard input")
    return password


def _prompted(email: str) -> str:
    """Ask for a password twice without echoing it, until it meets the policy."""
    for _ in range(PROMPT_TRIES):
        password: str = typer.prompt(
            f"New password for {email}", hide_input=True, confirmation_prompt=True
        )
        try:
            check_policy(password=password, email=email)
        except InvalidInput as exc:
            typer.echo(f"error: {exc}", err=True)
            continue
        return password
    raise InvalidInput("no acceptable password given")


def _read_password(email: str, *, from_stdin: bool) -> str:
    password = _from_stdin() if from_stdin else _prompted(email)
    check_policy(password=password, email=email)
    return password


def build() -> typer.Typer:
    app = typer.Typer(help="Baton users (SDRs and managers).", no_args_is_help=True)

    @app.command()
    def add(
        email: str = typer.Argument(...),
        role: Role = typer.Option(Role.SDR, help="sdr or manager."),
        name: str = typer.Option("", help="Display name."),
        slack_id: str = typer.Option(None, help="Slack user id (U…)."),
        password: bool = typer.Option(
            False, "--password", help="Ask for a dashboard password (hidden, asked twice)."
        ),
        password_stdin: bool = typer.Option(
            False, "--password-stdin", help="Read the dashboard password from standard input."
        ),
    ) -> None:
        """Add a user. Without a password the user cannot log in to the dashboard until one is
        set with `baton user passwd`."""
        if password and password_stdin:
            raise typer.BadParameter("give --password or --password-stdin, not both")
        secret = None
        if password or password_stdin:
            secret = _read_password(email.strip().lower(), from_stdin=password_stdin)
        rt = build_runtime(Settings())
        with rt.session() as session:
            user = create_user(
                session=session, email=email, name=name, role=role, slack_user_id=slack_id
            )
            if secret is not None:
                set_password(session=session, user=user, password=secret)
            session.commit()
            typer.echo(f"added {user.role.value} {user.email} (id {user.id})")
            if secret is None:
                typer.echo(
                    f"no dashboard password yet: set one with `baton user passwd {user.email}`",
                    err=True,
                )

    @app.command()
    def passwd(
        email: str = typer.Argument(..., help="The user's email."),
        password_stdin: bool = typer.Option(
            False, "--password-stdin", help="Read the new password from standard input."
        ),
    ) -> None:
        """Set or reset a user's dashboard password; their open sessions end."""
        rt = build_runtime(Settings())
        with rt.session() as session:
            found = get_user_by_email(session=session, email=email)
            session.commit()  # ends the read; keeps `found` loaded
        if found is None:
            raise NotFound(f"no user with email {email!r}")
        # Ask before holding a transaction open: the prompt may wait for a person.
        secret = _read_password(found.email, from_stdin=password_stdin)
        with rt.session() as session:
            user = get_user_by_email(session=session, email=found.email)
            if user is None:
                raise NotFound(f"no user with email {email!r}")
            set_password(session=session, user=user, password=secret)
            session.commit()
        typer.echo(f"password of {user.email} set; their dashboard sessions have ended")

    @app.command()
    def logout(email: str = typer.Argument(..., help="The user's email.")) -> None:
        """End every dashboard session of a user (a lost laptop, a shared computer)."""
        rt = build_runtime(Settings())
        with rt.session() as session:
            user = get_user_by_email(session=session, email=email)
            if user is None or user.id is None:
                raise NotFound(f"no user with email {email!r}")
            ended = end_user_sessions(session=session, user_id=user.id, now=datetime.now(UTC))
            session.commit()
        typer.echo(f"ended {ended} dashboard session(s) of {user.email}")

    return app
