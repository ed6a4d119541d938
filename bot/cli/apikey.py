"""`baton apikey`: keys for marketing systems and other machine clients of the REST API."""

from __future__ import annotations

import typer

from bot.runtime import build_runtime
from bot.settings import Settings
from storage.apikeys import SCOPES, create_api_key, list_api_keys, revoke_api_key


def build() -> typer.Typer:
    app = typer.Typer(help="API keys for the REST API.", no_args_is_help=True)

    @app.command()
    def create(
        name: str = typer.Option(..., "--name", help="What the key is for, e.g. 'hubspot sync'."),
        scope: list[str] = typer.Option(
            ..., "--scope", help=f"Repeat for each scope: {', '.join(SCOPES)}."
        ),
    ) -> None:
        """Create a key and print it once; only its hash is stored."""
        rt = build_runtime(Settings())
        with rt.session() as session:
            row, key = create_api_key(session=session, name=name, scopes=scope)
            session.commit()
        typer.echo(key)
        typer.echo(
            f"created API key {row.prefix} ({row.name}) with scopes {', '.join(row.scopes)}.\n"
            "Store it now: it is shown only this once and cannot be recovered.",
            err=True,
        )

    @app.command(name="list")
    def list_() -> None:
        """Every key: prefix, name, scopes, last use and whether it is revoked."""
        rt = build_runtime(Settings())
        with rt.session() as session:
            rows = list_api_keys(session=session)
        if not rows:
            typer.echo("no API keys")
        for row in rows:
            used = row.last_used_at.isoformat(timespec="seconds") if row.last_used_at else "never"
            state = "revoked" if row.revoked_at else "active"
            typer.echo(
                f"{row.prefix}  {state:<7}  {row.name}  [{' '.join(row.scopes)}]  last used {used}"
            )

    @app.command()
    def revoke(
        prefix: str = typer.Argument(..., help="The key's prefix, e.g. bk_3f9a2c1d."),
    ) -> None:
        """Revoke a key; requests with it are refused from now on."""
        rt = build_runtime(Settings())
        with rt.session() as session:
            row = revoke_api_key(session=session, prefix=prefix)
            session.commit()
        typer.echo(f"revoked API key {row.prefix} ({row.name})")

    return app
