"""`baton lead`: show a lead, explain its score, re-score after a rules change; export, erase,
purge (bot/cli/lead_privacy.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import typer

from bot.cli import lead_privacy
from bot.cli.progress import Bars
from bot.cli.render import render_explain, render_show
from bot.runtime import build_runtime
from bot.settings import Settings
from qualification.errors import NotFound
from qualification.lifecycle import Actor
from storage.lead_report import lead_report
from storage.leads import find_lead_by_email
from storage.ledger import rescore_all, rescore_lead


def build() -> typer.Typer:
    app = typer.Typer(help="Leads.", no_args_is_help=True)

    @app.command()
    def show(
        email: str = typer.Argument(..., help="The lead's email."),
        as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    ) -> None:
        """Contact, company, stage history, BANT answers and conversations of a lead."""
        rt = build_runtime(Settings())
        with rt.session() as session:
            lead = find_lead_by_email(session=session, email=email)
            if lead is None or lead.id is None:
                raise NotFound(f"no lead with email {email!r}")
            report = lead_report(session=session, lead_id=lead.id)
        typer.echo(json.dumps(report.to_json(), indent=2) if as_json else render_show(report))

    @app.command()
    def explain(
        email: str = typer.Argument(..., help="The lead's email."),
        as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
        history: bool = typer.Option(False, help="Also list every ledger entry."),
    ) -> None:
        """Why the lead has its score: every rule that contributed, by category."""
        rt = build_runtime(Settings())
        with rt.session() as session:
            lead = find_lead_by_email(session=session, email=email)
            if lead is None or lead.id is None:
                raise NotFound(f"no lead with email {email!r}")
            report = lead_report(session=session, lead_id=lead.id)
        if as_json:
            data = report.to_json()
            typer.echo(
                json.dumps(
                    {
                        "email": report.lead["email"],
                        "stage": report.lead["stage"],
                        "score": data["score"],
                        "score_by_category": data["score_by_category"],
                        "ledger": data["ledger"],
                    },
                    indent=2,
                )
            )
        else:
            typer.echo(render_explain(report, history=history))

    @app.command()
    def rescore(
        email: str = typer.Argument(None, help="One lead's email; omit with --all."),
        all_leads: bool = typer.Option(False, "--all", help="Re-score every lead."),
        quiet: bool = typer.Option(
            False,
            "--quiet",
            "-q",
            help="No progress bar (there is none when stderr is not a terminal).",
        ),
    ) -> None:
        """Re-score after a rules change; the ledger records the difference."""
        if not email and not all_leads:
            raise typer.BadParameter("give an email or --all")
        rt = build_runtime(Settings())
        now = datetime.now(UTC)
        actor = Actor.system("rescore")
        with rt.session() as session, Bars(quiet=quiet) as bars:
            if email:
                found = find_lead_by_email(session=session, email=email)
                if found is None:
                    raise NotFound(f"no lead with email {email!r}")
                entries = rescore_lead(
                    session=session, lead=found, rules=rt.rules, now=now, actor=actor
                )
                seen, changed = 1, int(bool(entries))
            else:
                seen, changed = rescore_all(
                    session=session, rules=rt.rules, now=now, actor=actor, progress=bars
                )
                bars.start("saving", 1)
            session.commit()
            bars.advance(1)
        typer.echo(f"re-scored {seen} lead(s) with rules {rt.rules.version}; {changed} changed")

    lead_privacy.register(app)
    return app
