"""The `baton` command: serve, database, flows, rules, chat, leads, users."""

from __future__ import annotations

import sys

import typer

from bot.cli import (
    apikey,
    chat,
    db,
    flow,
    importer,
    lead,
    outbox,
    rules,
    serve,
    slack,
    user,
    webhook,
    widget,
)
from bot.cli.errors import report_errors


def build_cli() -> typer.Typer:
    app = typer.Typer(
        name="baton",
        help="Baton: conversational BANT qualification for SDR teams.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
    )
    serve.register(app)
    chat.register(app)
    importer.register(app)
    app.add_typer(db.build(), name="db")
    app.add_typer(flow.build(), name="flow")
    app.add_typer(rules.build(), name="rules")
    app.add_typer(lead.build(), name="lead")
    app.add_typer(user.build(), name="user")
    app.add_typer(widget.build(), name="widget")
    app.add_typer(apikey.build(), name="apikey")
    app.add_typer(outbox.build(), name="outbox")
    app.add_typer(slack.build(), name="slack")
    app.add_typer(webhook.build(), name="webhook")
    return app


def main(argv: list[str] | None = None) -> None:
    """Console entry point."""
    with report_errors():
        build_cli()(args=argv if argv is not None else sys.argv[1:], prog_name="baton")
