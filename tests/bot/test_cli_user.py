"""`baton user add`, `passwd` and `logout`, run as real processes against a real database."""

from __future__ import annotations

import os
import select
import subprocess
import time
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from qualification.stages import Role
from storage.accounts import authenticate
from storage.dashboard_sessions import open_session, session_is_live
from storage.db import create_db_engine
from storage.users import get_user_by_email
from tests.bot.test_cli import BATON, baton

PASSWORD = "correct horse battery staple"


def _login(database_url: str, email: str, password: str) -> bool:
    engine = create_db_engine(database_url)
    try:
        with Session(engine) as session:
            return authenticate(session=session, email=email, password=password) is not None
    finally:
        engine.dispose()


def _user_exists(database_url: str, email: str) -> bool:
    engine = create_db_engine(database_url)
    try:
        with Session(engine) as session:
            return get_user_by_email(session=session, email=email) is not None
    finally:
        engine.dispose()


def test_add_a_manager_with_a_password_from_stdin(database_url: str) -> None:
    added = baton(
        "user",
        "add",
        "Morgan@Example.com",
        "--role",
        "manager",
        "--name",
        "Morgan Lee",
        "--password-stdin",
        database_url=database_url,
        stdin=PASSWORD + "\n",
    )
    assert "added manager morgan@example.com" in added.stdout
    assert PASSWORD not in added.stdout + added.stderr
    assert _login(database_url, "morgan@example.com", PASSWORD)
    engine = create_db_engine(database_url)
    with Session(engine) as session:
        user = get_user_by_email(session=session, email="morgan@example.com")
        assert user is not None and user.role is Role.MANAGER and user.name == "Morgan Lee"
        assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
    engine.dispose()


def test_a_password_against_the_policy_adds_nobody(database_url: str) -> None:
    for stdin, problem in (
        ("short\n", "at least 10 characters"),
        ("sam@example.com\n", "email address"),
        ("\n", "no password"),
    ):
        refused = baton(
            "user",
            "add",
            "sam@example.com",
            "--password-stdin",
            database_url=database_url,
            stdin=stdin,
            check=False,
        )
        assert refused.returncode == 1
        assert problem in refused.stderr
    assert not _user_exists(database_url, "sam@example.com")


def test_add_without_a_password_still_works_and_says_how_to_set_one(database_url: str) -> None:
    added = baton("user", "add", "sam@example.com", "--slack-id", "U123", database_url=database_url)
    assert "added sdr sam@example.com" in added.stdout
    assert "baton user passwd sam@example.com" in added.stderr
    assert _user_exists(database_url, "sam@example.com")
    assert not _login(database_url, "sam@example.com", "")


def test_passwd_resets_a_password(database_url: str) -> None:
    baton(
        "user",
        "add",
        "sam@example.com",
        "--password-stdin",
        database_url=database_url,
        stdin=PASSWORD + "\n",
    )
    reset = baton(
        "user",
        "passwd",
        "SAM@example.com",
        "--password-stdin",
        database_url=database_url,
        stdin="a brand new passphrase\n",
    )
    assert "password of sam@example.com set" in reset.stdout
    assert "sessions have ended" in reset.stdout
    assert not _login(database_url, "sam@example.com", PASSWORD)
    assert _login(database_url, "sam@example.com", "a brand new passphrase")

    weak = baton(
        "user",
        "passwd",
        "sam@example.com",
        "--password-stdin",
        database_url=database_url,
        stdin="tiny\n",
        check=False,
    )
    assert weak.returncode == 1 and "at least 10 characters" in weak.stderr
    assert _login(database_url, "sam@example.com", "a brand new passphrase")

    unknown = baton(
        "user",
        "passwd",
        "nobody@example.com",
        "--password-stdin",
        database_url=database_url,
        stdin=PASSWORD + "\n",
        check=False,
    )
    assert unknown.returncode == 3 and "no user with email" in unknown.stderr


def _converse(args: list[str], database_url: str, replies: list[str]) -> tuple[int, str]:
    """Run `baton` on a pseudo-terminal, answering each prompt in turn; its exit code and
    everything the terminal showed."""
    master, slave = os.openpty()
    env = {**os.environ, "BATON_DATABASE_URL": database_url}
    process = subprocess.Popen(
        [BATON, *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
        preexec_fn=lambda: os.login_tty(slave),  # the pty becomes the controlling terminal
    )
    os.close(slave)
    shown = b""
    pending = list(replies)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
                # A hidden prompt ends with ": " once echo is off (the space comes last).
                if pending and shown.endswith(b": "):
                    os.write(master, pending.pop(0).encode() + b"\n")
            elif process.poll() is not None:
                break
        return process.wait(timeout=30), shown.decode(errors="replace")
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()


def test_passwd_asks_twice_on_the_terminal_without_echoing(database_url: str) -> None:
    baton("user", "add", "sam@example.com", database_url=database_url)
    code, shown = _converse(
        ["user", "passwd", "sam@example.com"],
        database_url,
        ["typed on the terminal", "typed on the terminal"],
    )
    assert code == 0, shown
    assert "New password for sam@example.com" in shown
    assert "Repeat for confirmation" in shown
    assert "typed on the terminal" not in shown  # hidden input
    assert _login(database_url, "sam@example.com", "typed on the terminal")


def test_add_with_password_prompts_again_when_the_two_differ(database_url: str) -> None:
    code, shown = _converse(
        ["user", "add", "kim@example.com", "--role", "manager", "--password"],
        database_url,
        ["first try password", "not the same thing", "second try password", "second try password"],
    )
    assert code == 0, shown
    assert "do not match" in shown
    assert _login(database_url, "kim@example.com", "second try password")


def test_logout_ends_every_dashboard_session_of_a_user(database_url: str) -> None:
    baton("user", "add", "sam@example.com", "--password-stdin",
          database_url=database_url, stdin=PASSWORD + "\n")  # fmt: skip
    engine = create_db_engine(database_url)
    now = datetime.now(UTC)
    with Session(engine) as session:
        user = get_user_by_email(session=session, email="sam@example.com")
        assert user is not None and user.id is not None
        user_id = user.id
        tokens = [
            open_session(session=session, user_id=user_id, now=now, lifetime=timedelta(hours=1))
            for _ in range(2)
        ]
        session.commit()
    ended = baton("user", "logout", "Sam@Example.com", database_url=database_url)
    assert "ended 2 dashboard session(s) of sam@example.com" in ended.stdout
    with Session(engine) as session:
        assert not any(
            session_is_live(session=session, token=t, user_id=user_id, now=now) for t in tokens
        )
    engine.dispose()
    again = baton("user", "logout", "sam@example.com", database_url=database_url)
    assert "ended 0 dashboard session(s)" in again.stdout
    unknown = baton("user", "logout", "nobody@example.com", database_url=database_url, check=False)
    assert unknown.returncode == 3 and "no user with email" in unknown.stderr  # not found
