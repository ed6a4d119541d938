"""`baton import FILE`: load a CSV file of leads or behaviour events, all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from bot.cli.errors import EXIT_ERROR
from bot.cli.progress import Bars
from bot.runtime import build_runtime
from bot.settings import Settings
from qualification.csvrows import guess_kind
from qualification.lifecycle import Actor, ActorKind
from storage.imports import ImportKind, ImportReport, import_csv


def render_report(report: ImportReport, *, path: Path) -> str:
    """The import's outcome in plain lines: counts, then each rejected row."""
    lines: list[str] = []
    if report.applied:
        lines.append(f"imported {report.imported} of {report.rows} rows from {path.name}")
        if report.kind is ImportKind.LEADS:
            lines.append(f"leads: {report.leads_created} created, {report.leads_updated} updated")
        else:
            lines.append(
                f"events: {report.events_created} created, {report.events_duplicate} duplicates; "
                f"{report.leads_created} new leads"
            )
        lines.append(f"re-scored {report.leads_scored} leads")
    else:
        lines.append(
            f"nothing imported: {len(report.rejected)} of {report.rows} rows rejected "
            "(fix them, or pass --skip-invalid to import the valid rows)"
        )
    if report.rejected:
        lines.append("rejected rows:")
        lines += [f"  line {r.line}: {'; '.join(r.reasons)}" for r in report.rejected]
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    @app.command(name="import")
    def import_(
        file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
        kind: ImportKind = typer.Option(
            None, "--kind", help="leads or events; guessed from the header when left out."
        ),
        skip_invalid: bool = typer.Option(
            False, "--skip-invalid", help="Import the valid rows even if some are rejected."
        ),
        quiet: bool = typer.Option(
            False,
            "--quiet",
            "-q",
            help="No progress bar (there is none when stderr is not a terminal).",
        ),
    ) -> None:
        """Import a CSV file of leads or events; nothing is imported if any row is rejected."""
        data = file.read_bytes()
        chosen = kind or ImportKind(guess_kind(data))
        rt = build_runtime(Settings())
        with rt.session() as session, Bars(quiet=quiet) as bars:
            report = import_csv(
                session=session,
                data=data,
                kind=chosen,
                rules=rt.rules,
                now=datetime.now(UTC),
                actor=Actor(kind=ActorKind.MARKETING, label=f"import {file.name}"[:150]),
                skip_invalid=skip_invalid,
                progress=bars,
            )
            if report.applied:
                bars.start("saving", 1)
                session.commit()
                bars.advance(1)
        typer.echo(render_report(report, path=file))
        if not report.applied:
            raise SystemExit(EXIT_ERROR)
