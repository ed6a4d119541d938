"""`baton webhook`: endpoints that receive domain events (CRM sync), and their delivery log."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import typer

from bot.runtime import build_runtime
from bot.settings import Settings
from bot.webhooks.delivery import send_now
from storage.models import OutboxItem, WebhookEndpoint
from storage.outbox_worker import PENDING, mark_done, mark_failed
from storage.secrets import SecretBox
from storage.webhooks import (
    EVENTS,
    add_endpoint,
    deliveries,
    get_endpoint,
    list_endpoints,
    parse_events,
    queue_ping,
    set_active,
)


def build() -> typer.Typer:
    app = typer.Typer(help="Webhooks: signed event deliveries to a CRM.", no_args_is_help=True)

    @app.command()
    def add(
        url: str = typer.Argument(..., help="https URL that receives the POSTs."),
        events: str = typer.Option(
            "*", "--events", help=f"Comma-separated: {', '.join(EVENTS)}; or * for every event."
        ),
        description: str = typer.Option("", "--description", help="What the endpoint is for."),
    ) -> None:
        """Add an endpoint and print its signing secret once (it is stored encrypted)."""
        settings = Settings()
        box = SecretBox(settings.encryption_key)  # refuses before anything is stored
        rt = build_runtime(settings)
        with rt.session() as session:
            endpoint, secret = add_endpoint(
                session=session,
                url=url,
                events=parse_events(events),
                box=box,
                description=description,
                allow_private=settings.webhook_allow_private_networks,
            )
            session.commit()
        typer.echo(secret)
        typer.echo(
            f"added webhook {endpoint.id}: {endpoint.url} ({', '.join(endpoint.events)}).\n"
            "Above is its signing secret: store it with the receiver now, it is shown only"
            " this once. Try it with `baton webhook test "
            f"{endpoint.id}`.",
            err=True,
        )

    @app.command(name="list")
    def list_() -> None:
        """Every endpoint: id, state, URL, events and description."""
        rt = build_runtime(Settings())
        with rt.session() as session:
            endpoints = list_endpoints(session=session)
        if not endpoints:
            typer.echo("no webhooks (add one with `baton webhook add URL --events ...`)")
        for endpoint in endpoints:
            typer.echo(_describe_endpoint(endpoint))

    @app.command()
    def disable(endpoint_id: int = typer.Argument(..., metavar="ID")) -> None:
        """Stop sending to an endpoint; its deliveries still waiting are ended (as dead)."""
        rt = build_runtime(Settings())
        with rt.session() as session:
            endpoint, ended = set_active(session=session, endpoint_id=endpoint_id, active=False)
            session.commit()
        typer.echo(f"disabled webhook {endpoint.id} ({endpoint.url})")
        if ended:
            typer.echo(
                f"{ended} waiting deliveries were ended; `baton outbox retry ID` sends one again"
            )

    @app.command()
    def enable(endpoint_id: int = typer.Argument(..., metavar="ID")) -> None:
        """Send events to a disabled endpoint again (from now on)."""
        rt = build_runtime(Settings())
        with rt.session() as session:
            endpoint, _ = set_active(session=session, endpoint_id=endpoint_id, active=True)
            session.commit()
        typer.echo(f"enabled webhook {endpoint.id} ({endpoint.url})")

    @app.command()
    def test(endpoint_id: int = typer.Argument(..., metavar="ID")) -> None:
        """Send a signed `ping` event now and say how the endpoint answered."""
        rt = build_runtime(Settings())
        with rt.session() as session:
            endpoint = get_endpoint(session=session, endpoint_id=endpoint_id)
            item = queue_ping(session=session, endpoint=endpoint)
            session.commit()
        assert item.id is not None
        attempt = asyncio.run(send_now(rt, item))
        now = datetime.now(UTC)
        with rt.session() as session:
            if attempt.error is None:
                mark_done(session=session, item_id=item.id, now=now)
            else:  # a ping is not retried: one attempt, then it is dead
                mark_failed(
                    session=session, item_id=item.id, error=attempt.error, now=now, max_attempts=1
                )
            session.commit()
        if attempt.error is not None:
            typer.echo(f"ping #{item.id} to {endpoint.url} failed: {attempt.error}", err=True)
            raise typer.Exit(code=1)
        typer.echo(
            f"ping #{item.id} delivered to {endpoint.url}: HTTP {attempt.status}"
            f" in {attempt.seconds:.2f} s"
        )

    @app.command(name="deliveries")
    def deliveries_(
        endpoint_id: int | None = typer.Option(None, "--endpoint", help="Only this endpoint."),
        limit: int = typer.Option(20, "--limit", min=1, max=1000),
    ) -> None:
        """The newest deliveries: event, status, failed attempts and the last error."""
        rt = build_runtime(Settings())
        with rt.session() as session:
            if endpoint_id is not None:
                get_endpoint(session=session, endpoint_id=endpoint_id)
            items = deliveries(session=session, endpoint_id=endpoint_id, limit=limit)
        if not items:
            typer.echo("no deliveries yet")
        now = datetime.now(UTC)
        for item in items:
            typer.echo(describe_delivery(item, now=now))

    return app


def _describe_endpoint(endpoint: WebhookEndpoint) -> str:
    state = "active" if endpoint.active else "disabled"
    line = f"{endpoint.id}  {state:<8}  {endpoint.url}  [{', '.join(endpoint.events)}]"
    return f"{line}  {endpoint.description}" if endpoint.description else line


def describe_delivery(item: OutboxItem, *, now: datetime) -> str:
    """One line of the delivery log: which, when, where, what, and how it went."""
    payload = item.payload
    when = item.created_at.isoformat(timespec="seconds")
    head = f"#{item.id}  {when}  endpoint {payload.get('endpoint_id')}  {payload.get('event')}"
    if item.status == PENDING and item.next_attempt_at > now:
        state = f"pending (next attempt {item.next_attempt_at.isoformat(timespec='seconds')})"
    elif item.delivered_at is not None:
        state = f"{item.status} {item.delivered_at.isoformat(timespec='seconds')}"
    else:
        state = item.status
    line = f"{head}  {state}  {item.attempts} failed attempt(s)"
    if item.last_error:
        line += f"  last error: {item.last_error.splitlines()[0]}"
    return line
