"""`baton lead export / erase / erasures / purge`: a person's data on request, the erasure log,
and retention."""

from __future__ import annotations

import getpass
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

from bot.runtime import build_runtime
from bot.settings import Settings
from qualification.errors import InvalidInput, NotFound
from qualification.lifecycle import Actor
from storage.leads import find_lead_by_email
from storage.privacy import SLACK_NOTE, ErasureReport, erase_by_email, export_lead
from storage.privacy_log import erasure_log
from storage.retention import PurgeReport, purge_old_conversations


def _operator() -> Actor:
    """Who ran the command, for the audit entry: the operating-system account."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return Actor.system(f"cli ({name})"[:150])


def _write_private(path: Path, text: str) -> None:
    """Write the export readable by its owner only: it holds personal data."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def render_erasure(email: str, report: ErasureReport) -> str:
    if report.nothing_left:
        return f"nothing left to erase for {email}"
    who = f"lead {report.lead_id}" if report.lead_id is not None else "no lead on file"
    lines = [f"erased {email} ({who}); removed or scrubbed:"]
    lines += [f"  {kind.replace('_', ' '):<20} {count}" for kind, count in report.removed.items()]
    if report.merged_lead_ids:
        merged = ", ".join(str(i) for i in report.merged_lead_ids)
        lines.append(f"  (including what came from merged anonymous leads {merged})")
    lines.append(
        f"logged as erasure {report.erasure_id} (event lead.erased: outbox item {report.audit_id})"
    )
    lines.append(SLACK_NOTE)
    return "\n".join(lines)


def render_log(entries: list[dict[str, Any]]) -> str:
    """The erasure log, one entry a line: id, when, basis, lead, who, and the counts."""
    if not entries:
        return "no erasures yet"
    lines = []
    for e in entries:
        lead = f"lead {e['lead_id']}" if e["lead_id"] is not None else "no lead"
        counts = ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in e["removed"].items())
        lines.append(
            f"#{e['id']}  {e['erased_at'][:19].replace('T', ' ')}  {e['basis']:<9}  {lead}"
            f"  by {e['actor']}: {counts}"
        )
    return "\n".join(lines)


def render_purge(report: PurgeReport) -> str:
    verb = "would delete" if report.dry_run else "deleted"
    text = (
        f"{verb} {report.conversations} conversation(s) that ended before"
        f" {report.cutoff.date().isoformat()}: {report.messages} message(s),"
        f" {report.slack_threads} Slack thread link(s), {report.visitors} widget visitor(s),"
        f" {report.live_chats} live chat(s); {report.answers_kept} answer(s) kept"
    )
    if report.erasure_id is not None:
        text += f"\nlogged as erasure {report.erasure_id} (retention)"
    return text


def register(app: typer.Typer) -> None:
    @app.command()
    def export(
        email: str = typer.Argument(..., help="The lead's email."),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Write the JSON to this file (mode 600), not stdout."
        ),
    ) -> None:
        """Everything Baton holds about a person, as JSON (a data access request)."""
        rt = build_runtime(Settings())
        with rt.session() as session:
            lead = find_lead_by_email(session=session, email=email)
            if lead is None or lead.id is None:
                raise NotFound(f"no lead with email {email!r}")
            data = export_lead(session=session, lead_id=lead.id)
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        if output is None:
            typer.echo(text, nl=False)
        else:
            _write_private(output, text)
            typer.echo(f"wrote {output}")

    @app.command()
    def erase(
        email: str = typer.Argument(..., help="The person's email."),
        yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    ) -> None:
        """Erase a person's data everywhere Baton keeps it (cannot be undone)."""
        if not yes:
            typer.confirm(
                f"Erase everything Baton holds about {email}? This cannot be undone.", abort=True
            )
        rt = build_runtime(Settings())
        with rt.session() as session:
            report = erase_by_email(session=session, email=email, actor=_operator())
            session.commit()
        typer.echo(render_erasure(email, report))

    @app.command()
    def erasures(
        lead_id: int | None = typer.Option(None, "--lead", help="Only this lead's erasures."),
    ) -> None:
        """The erasure log: who erased what and when, and how many rows went (oldest first)."""
        rt = build_runtime(Settings())
        with rt.session() as session:
            entries = erasure_log(session=session, lead_id=lead_id)
        typer.echo(render_log(entries))

    @app.command()
    def purge(
        older_than: int | None = typer.Option(
            None,
            "--older-than",
            min=1,
            help="Days; conversations that ended before then go. Default: BATON_RETENTION_DAYS.",
        ),
        dry_run: bool = typer.Option(False, "--dry-run", help="Count, delete nothing."),
    ) -> None:
        """Delete chat transcripts that ended long ago (answers, score and stages stay)."""
        settings = Settings()
        days = older_than if older_than is not None else settings.retention_days
        if days < 1:
            raise InvalidInput("retention is off (BATON_RETENTION_DAYS=0): give --older-than")
        rt = build_runtime(settings)
        with rt.session() as session:
            report = purge_old_conversations(
                session=session,
                now=datetime.now(UTC),
                days=days,
                dry_run=dry_run,
                actor=_operator(),
            )
            if dry_run:
                session.rollback()
            else:
                session.commit()
        typer.echo(render_purge(report))
