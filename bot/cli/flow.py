"""`baton flow check FILE`: validate a flow and print its diagram."""

from __future__ import annotations

from pathlib import Path

import typer

from dialogs.flow import load_flow
from dialogs.mermaid import flow_to_mermaid


def build() -> typer.Typer:
    app = typer.Typer(help="Qualification flows.", no_args_is_help=True)

    @app.command()
    def check(
        file: Path = typer.Argument(..., help="Flow definition (YAML)."),
        diagram: bool = typer.Option(True, help="Print a mermaid diagram of the flow."),
    ) -> None:
        """Validate FILE; errors name the file, line and field."""
        flow = load_flow(file)
        typer.echo(f"ok: flow '{flow.id}' version {flow.version}, {len(flow.steps)} steps")
        if diagram:
            typer.echo(flow_to_mermaid(flow))

    return app
