"""`baton widget`: create, change, show and list embeddable chat widgets."""

from __future__ import annotations

import json
from typing import Any

import typer

from bot.runtime import build_runtime
from bot.settings import Settings
from storage.models import Widget
from storage.widgets import create_widget, get_widget, list_widgets, update_widget


def _settings(
    *,
    name: str | None,
    flow: str | None,
    origins: list[str] | None,
    greeting: str | None,
    consent: str | None,
    theme: dict[str, Any],
    active: bool | None,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": name,
        "flow_id": flow,
        "allowed_origins": origins or None,
        "greeting": greeting,
        "consent_text": consent,
        "active": active,
    }
    settings = {k: v for k, v in values.items() if v is not None}
    chosen = {k: v for k, v in theme.items() if v is not None}
    if chosen:
        settings["theme"] = chosen
    return settings


def _show(widget: Widget, base_url: str) -> str:
    data = widget.model_dump(exclude={"id"}, mode="json")
    data["embed"] = (
        f'<script src="{base_url}/widget.js" data-baton-widget="{widget.public_id}" async></script>'
    )
    return json.dumps(data, indent=2, ensure_ascii=False)


def _base_url(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.port}"


NAME = typer.Option(None, help="A name for people (shown in the chat header).")
FLOW = typer.Option(None, help="Flow id (default: the configured default flow).")
ORIGIN = typer.Option(None, "--origin", help="Allowed origin (https://www.example.com); repeat.")
GREETING = typer.Option(None, help="Greeting shown on the launcher and in the chat header.")
CONSENT = typer.Option(None, help="Consent notice shown before the email question.")
COLOR = typer.Option(None, help="Accent colour, #rrggbb.")
TEXT_COLOR = typer.Option(None, help="Text colour on the accent, #rrggbb.")
POSITION = typer.Option(None, help="bottom-right or bottom-left.")
Z_INDEX = typer.Option(None, help="CSS z-index of the launcher and panel.")
OFFSET_X = typer.Option(None, help="Distance from the side of the window, px.")
OFFSET_Y = typer.Option(None, help="Distance from the bottom of the window, px.")


def build() -> typer.Typer:
    app = typer.Typer(help="Embeddable chat widgets.", no_args_is_help=True)

    @app.command()
    def create(
        widget_id: str = typer.Option(None, "--id", help="Public id (random when unset)."),
        name: str = NAME,
        flow: str = FLOW,
        origin: list[str] = ORIGIN,
        greeting: str = GREETING,
        consent: str = CONSENT,
        color: str = COLOR,
        text_color: str = TEXT_COLOR,
        position: str = POSITION,
        z_index: int = Z_INDEX,
        offset_x: int = OFFSET_X,
        offset_y: int = OFFSET_Y,
    ) -> None:
        """Create a widget and print it with its embed tag."""
        settings = Settings()
        rt = build_runtime(settings)
        values = _settings(
            name=name,
            flow=flow,
            origins=origin,
            greeting=greeting,
            consent=consent,
            active=None,
            theme={
                "color": color,
                "text_color": text_color,
                "position": position,
                "z_index": z_index,
                "offset_x": offset_x,
                "offset_y": offset_y,
            },
        )
        with rt.session() as session:
            widget = create_widget(
                session=session, flows=rt.flows, public_id=widget_id, settings=values
            )
            session.commit()
            typer.echo(_show(widget, _base_url(settings)))

    @app.command()
    def update(
        widget_id: str = typer.Argument(..., help="The widget's public id."),
        name: str = NAME,
        flow: str = FLOW,
        origin: list[str] = ORIGIN,
        greeting: str = GREETING,
        consent: str = CONSENT,
        color: str = COLOR,
        text_color: str = TEXT_COLOR,
        position: str = POSITION,
        z_index: int = Z_INDEX,
        offset_x: int = OFFSET_X,
        offset_y: int = OFFSET_Y,
        active: bool = typer.Option(None, "--active/--inactive", help="Turn the widget on/off."),
    ) -> None:
        """Change the given settings (origins given replace the list)."""
        settings = Settings()
        rt = build_runtime(settings)
        values = _settings(
            name=name,
            flow=flow,
            origins=origin,
            greeting=greeting,
            consent=consent,
            active=active,
            theme={
                "color": color,
                "text_color": text_color,
                "position": position,
                "z_index": z_index,
                "offset_x": offset_x,
                "offset_y": offset_y,
            },
        )
        with rt.session() as session:
            widget = get_widget(session=session, public_id=widget_id)
            update_widget(session=session, widget=widget, flows=rt.flows, changes=values)
            session.commit()
            typer.echo(_show(widget, _base_url(settings)))

    @app.command()
    def show(widget_id: str = typer.Argument(..., help="The widget's public id.")) -> None:
        """Print a widget's settings and embed tag."""
        settings = Settings()
        rt = build_runtime(settings)
        with rt.session() as session:
            typer.echo(_show(get_widget(session=session, public_id=widget_id), _base_url(settings)))

    @app.command("list")
    def list_command() -> None:
        """One line per widget: id, state, name, allowed origins."""
        rt = build_runtime(Settings())
        with rt.session() as session:
            for widget in list_widgets(session=session):
                state = "on " if widget.active else "off"
                origins = ", ".join(widget.allowed_origins) or "(no origins)"
                typer.echo(f"{widget.public_id}\t{state}\t{widget.name or '-'}\t{origins}")

    return app
