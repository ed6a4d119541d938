"""`baton slack`: the app manifest for creating the Slack app; Socket Mode for development."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING

import typer

from bot.cli.errors import EXIT_CONFIG
from bot.settings import Settings

if TYPE_CHECKING:  # the Slack stack loads when a Slack command runs, not for every command
    from bot.runtime import Runtime


def _fail(error: Exception) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(EXIT_CONFIG)


_SIGNALS = (signal.SIGINT, signal.SIGTERM)


async def _serve_until_signalled(runtime: Runtime) -> None:
    """Run Socket Mode until SIGINT (Ctrl-C) or SIGTERM, then shut down cleanly; a second
    Ctrl-C during the shutdown interrupts it."""
    from bot.slack.socket_mode import Connected, run_socket_mode

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        stop.set()
        for signum in _SIGNALS:
            loop.remove_signal_handler(signum)

    for signum in _SIGNALS:
        try:
            loop.add_signal_handler(signum, on_signal)
        except NotImplementedError:  # Windows: Ctrl-C cancels the run instead
            pass
    worker = "on" if runtime.settings.outbox_worker else "off (BATON_OUTBOX_WORKER=false)"

    def connected(who: Connected) -> None:
        typer.echo(
            f"Socket Mode: connected to {who.team} as @{who.bot_user}; outbox worker {worker}."
            " Ctrl-C to stop."
        )

    try:
        await run_socket_mode(runtime, stop, on_connected=connected)
    finally:
        for signum in _SIGNALS:
            try:
                loop.remove_signal_handler(signum)
            except NotImplementedError:
                pass


def build() -> typer.Typer:
    app = typer.Typer(help="Slack: the app manifest and Socket Mode.", no_args_is_help=True)

    @app.command()
    def socket() -> None:
        """Run the Slack bot over Socket Mode (local development: no public URL needed).

        Needs SLACK_APP_TOKEN (xapp-…), SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET.

        Also delivers the outbox (approval cards, hot leads) unless BATON_OUTBOX_WORKER=false.
        """
        from bot.runtime import build_runtime
        from bot.slack.socket_mode import SocketModeUnavailable, check_credentials

        settings = Settings()
        try:
            check_credentials(settings)
        except SocketModeUnavailable as error:
            raise _fail(error) from error
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("baton").setLevel(logging.INFO)  # Socket Mode (re)connections
        runtime = build_runtime(settings)
        try:
            asyncio.run(_serve_until_signalled(runtime))
        except SocketModeUnavailable as error:
            raise _fail(error) from error
        finally:
            runtime.engine.dispose()
        typer.echo("Socket Mode: stopped.")

    @app.command()
    def manifest(
        url: str = typer.Option(None, help="Baton's public https URL (default: BATON_PUBLIC_URL)."),
        socket: bool = typer.Option(
            False, "--socket", help="For Socket Mode: no request URLs, socket_mode_enabled."
        ),
    ) -> None:
        """Print the Slack app manifest with Baton's request URLs filled in.

        Paste it at api.slack.com/apps → Create New App → From an app manifest.
        """
        from bot.slack.manifest import ManifestError, manifest_for, manifest_yaml

        try:
            filled = manifest_for(public_url=url or Settings().public_url, socket_mode=socket)
        except ManifestError as error:
            raise _fail(error) from error
        typer.echo(manifest_yaml(filled), nl=False)

    return app
