"""`baton import` and `baton apikey` as real processes against a real database."""

from __future__ import annotations

import os
import pty
import re
import subprocess
from pathlib import Path

import httpx

from bot.app import create_app
from bot.settings import Settings
from tests.bot.test_cli import BATON, baton


def on_terminal(*args: str, database_url: str) -> tuple[str, str]:
    """Run baton with stderr on a pseudo-terminal, as in an interactive shell: (stdout, stderr)."""
    terminal, child_side = pty.openpty()
    with subprocess.Popen(
        [BATON, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=child_side,
        env={**os.environ, "BATON_DATABASE_URL": database_url},
        text=True,
    ) as process:
        os.close(child_side)
        shown = b""
        while True:
            try:
                read = os.read(terminal, 65536)
            except OSError:  # the terminal is gone once the process has closed it
                break
            if not read:
                break
            shown += read
        assert process.stdout is not None
        out = process.stdout.read()
        assert process.wait(timeout=120) == 0, shown.decode()
    os.close(terminal)
    return out, shown.decode()


def test_import_reports_rejected_rows_and_imports_nothing_without_skip_invalid(
    database_url: str, tmp_path: Path
) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text(
        "email,name,employee_count\njane@acme.io,Jane,250\nnope,Nope,lots\nbob@acme.io,Bob,12\n"
    )
    refused = baton("import", str(leads), database_url=database_url, check=False)
    assert refused.returncode != 0
    assert "nothing imported" in refused.stdout
    assert "line 3:" in refused.stdout and "not a valid email" in refused.stdout
    assert "employee_count 'lots' is not a number" in refused.stdout
    missing = baton("lead", "show", "jane@acme.io", database_url=database_url, check=False)
    assert missing.returncode != 0

    done = baton("import", str(leads), "--skip-invalid", database_url=database_url)
    assert "imported 2 of 3 rows" in done.stdout and "line 3:" in done.stdout
    assert done.stderr == ""  # no progress bar when stderr is not a terminal
    assert "Jane" in baton("lead", "show", "jane@acme.io", database_url=database_url).stdout

    events = tmp_path / "events.csv"
    events.write_text(
        "email,kind,occurred_at,idempotency_key\n"
        "jane@acme.io,demo_request,2026-01-01T09:00:00Z,d1\n"
        "jane@acme.io,demo_request,2026-01-01T09:00:00Z,d1\n"
    )
    imported = baton("import", str(events), database_url=database_url)  # kind from the header
    assert "events: 1 created, 1 duplicates" in imported.stdout

    latin = tmp_path / "latin1.csv"
    latin.write_bytes("email,name\nj@acme.io,Jos\u00e9\n".encode("latin-1"))
    unreadable = baton("import", str(latin), database_url=database_url, check=False)
    assert unreadable.returncode != 0 and "not UTF-8" in unreadable.stderr


async def test_apikey_create_then_use_it_then_revoke(database_url: str) -> None:
    created = baton(
        "apikey", "create", "--name", "crm", "--scope", "leads:read", database_url=database_url
    )
    key = created.stdout.strip()
    assert re.fullmatch(r"bk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", key)
    assert "only this once" in created.stderr
    listed = baton("apikey", "list", database_url=database_url).stdout
    assert key[:11] in listed and key not in listed

    app = create_app(Settings(database_url=database_url))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as client:
            headers = {"Authorization": f"Bearer {key}"}
            assert (await client.get("/api/v1/leads", headers=headers)).status_code == 200
            write = await client.post("/api/v1/leads", json={"email": "a@acme.io"}, headers=headers)
            assert write.status_code == 403
            baton("apikey", "revoke", key[:11], database_url=database_url)
            assert (await client.get("/api/v1/leads", headers=headers)).status_code == 403
    finally:
        app.state.runtime.engine.dispose()
    assert "revoked" in baton("apikey", "list", database_url=database_url).stdout


def test_import_and_rescore_show_progress_on_a_terminal_unless_quiet(
    database_url: str, tmp_path: Path
) -> None:
    leads = tmp_path / "leads.csv"
    leads.write_text("email,title\n" + "".join(f"p{n}@acme.io,VP of Sales\n" for n in range(50)))
    out, shown = on_terminal("import", str(leads), database_url=database_url)
    assert "imported 50 of 50 rows" in out
    for phase in ("checking rows", "importing leads", "scoring leads", "saving"):
        assert phase in shown
    assert "100%" in shown and "50/50" in shown

    out, shown = on_terminal("lead", "rescore", "--all", database_url=database_url)
    assert "re-scored 50 lead(s)" in out and "scoring leads" in shown and "100%" in shown

    out, shown = on_terminal("lead", "rescore", "--all", "--quiet", database_url=database_url)
    assert "re-scored 50 lead(s)" in out and shown == ""
    out, shown = on_terminal("import", "-q", str(leads), database_url=database_url)
    assert "50 updated" in out and shown == ""
