"""`baton lead export / erase / purge`, run as real processes against a real database."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update
from sqlmodel import Session, select

from storage.db import create_db_engine
from storage.models import BantAnswer, Conversation, Lead, Message, utcnow
from storage.privacy import erasure_log
from tests.bot.test_cli import QUALIFYING, baton
from tests.storage.privacy_seed import traces

EMAIL = "jane@acme.io"  # QUALIFYING's address


def test_export_then_erase_from_the_command_line(database_url: str, tmp_path: Path) -> None:
    baton("chat", database_url=database_url, stdin="\n".join(QUALIFYING) + "\n")

    shown = json.loads(baton("lead", "export", EMAIL, database_url=database_url).stdout)
    assert shown["lead"]["name"] == "Jane Doe"
    assert any("manual data entry" in a["raw_text"] for a in shown["answers"])
    (chat,) = shown["conversations"]
    assert "Jane Doe" in [m["text"] for m in chat["messages"]]
    out = tmp_path / "jane.json"
    wrote = baton("lead", "export", EMAIL, "--output", str(out), database_url=database_url)
    assert str(out) in wrote.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(out.read_text())["lead"]["email"] == EMAIL

    declined = baton("lead", "erase", EMAIL, database_url=database_url, stdin="n\n", check=False)
    assert declined.returncode != 0 and "cannot be undone" in declined.stdout
    assert baton("lead", "show", EMAIL, database_url=database_url).returncode == 0

    erased = baton("lead", "erase", EMAIL, database_url=database_url, stdin="y\n")
    assert f"erased {EMAIL} (lead " in erased.stdout
    assert "answers" in erased.stdout and "messages" in erased.stdout
    assert "stay in Slack" in erased.stdout
    missing = baton("lead", "show", EMAIL, database_url=database_url, check=False)
    assert missing.returncode == 3 and "no lead with email" in missing.stderr

    engine = create_db_engine(database_url)
    try:
        with Session(engine) as session:
            assert traces(session, "Jane Doe", EMAIL, "manual data entry") == []
            (entry,) = erasure_log(session=session)
            assert entry["actor"].startswith("system:cli (") and entry["basis"] == "request"
            assert entry["removed"]["answers"] >= 4 and entry["removed"]["messages"] > 0
            assert session.exec(select(Lead.stage)).all() == ["sal"]  # the tombstone
    finally:
        engine.dispose()
    assert f"logged as erasure {entry['id']} (event lead.erased" in erased.stdout
    log = baton("lead", "erasures", database_url=database_url).stdout
    assert log.startswith(f"#{entry['id']}  ") and f"request    lead {entry['lead_id']}" in log
    assert "by system:cli (" in log and "answers " in log
    assert "Jane" not in log and EMAIL not in log
    other = baton("lead", "erasures", "--lead", "999", database_url=database_url)
    assert other.stdout.strip() == "no erasures yet"

    again = baton("lead", "erase", EMAIL, "--yes", database_url=database_url)
    assert again.stdout.strip() == f"nothing left to erase for {EMAIL}"
    bad = baton("lead", "erase", "not-an-email", "--yes", database_url=database_url, check=False)
    assert bad.returncode == 1 and "not a valid email" in bad.stderr


def test_purge_from_the_command_line(database_url: str) -> None:
    baton("chat", database_url=database_url, stdin="\n".join(QUALIFYING) + "\n")
    off = baton("lead", "purge", database_url=database_url, check=False,
                env={"BATON_RETENTION_DAYS": "0"})  # fmt: skip
    assert off.returncode == 1 and "--older-than" in off.stderr
    kept = baton("lead", "purge", database_url=database_url)  # BATON_RETENTION_DAYS: 730
    assert kept.stdout.startswith("deleted 0 conversation(s)")

    engine = create_db_engine(database_url)
    try:
        with Session(engine) as session:  # the chat ended 40 days ago
            session.execute(update(Conversation).values(completed_at=utcnow() - timedelta(40)))
            session.commit()
        dry = baton("lead", "purge", "--older-than", "30", "--dry-run", database_url=database_url)
        assert dry.stdout.startswith("would delete 1 conversation(s)")
        with Session(engine) as session:
            assert len(session.exec(select(Conversation)).all()) == 1
        with Session(engine) as session:
            assert erasure_log(session=session) == []  # neither run deleted anything
        done = baton("lead", "purge", "--older-than", "30", database_url=database_url)
        assert done.stdout.startswith("deleted 1 conversation(s)")
        assert "answer(s) kept" in done.stdout
        with Session(engine) as session:
            assert session.exec(select(Conversation)).all() == []
            assert session.exec(select(Message)).all() == []
            assert len(session.exec(select(BantAnswer)).all()) >= 4
            (entry,) = erasure_log(session=session)
        assert f"logged as erasure {entry['id']} (retention)" in done.stdout
        assert entry["basis"] == "retention" and entry["lead_id"] is None
        assert entry["actor"].startswith("system:cli (")
        assert entry["removed"]["conversations"] == 1
    finally:
        engine.dispose()
