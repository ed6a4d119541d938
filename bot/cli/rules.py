"""`baton rules check FILE`: validate a scoring rules file."""

from __future__ import annotations

from pathlib import Path

import typer

from qualification.rules import load_rules


def build() -> typer.Typer:
    app = typer.Typer(help="Scoring rules.", no_args_is_help=True)

    @app.command()
    def check(file: Path = typer.Argument(..., help="Rules file (YAML).")) -> None:
        """Validate FILE; errors name the file, line and field."""
        rules = load_rules(file)
        typer.echo(
            f"ok: rules version {rules.version}; MQL at {rules.mql_threshold}, "
            f"SQL at {rules.sql_threshold}, {len(rules.pain_points)} pain points"
        )

    return app
