"""The `baton` command, run as a real process against a real database."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

BATON = shutil.which("baton", path=str(Path(sys.executable).parent)) or "baton"

QUALIFYING = [
    "Jane Doe",
    "jane@acme.io",
    "Acme",
    "Our reps waste hours on manual data entry and leads go cold",
    "about 50k a year",
    "I'm the VP of Sales and I sign off",
    "this quarter",
    "250",
    "2",
]
# Interested, some budget, no authority, no timeline: a lead for later.
LATER_BUYER = [
    "Kim Park",
    "kim@later.example",
    "Later Inc",
    "we lose leads because follow up is slow",
    "about 20k a year",
    "my boss decides",
    "our CFO",
    "no",
    "not for a while",
    "yes",
    "skip",
    "skip",
]


def baton(
    *args: str,
    database_url: str,
    stdin: str = "",
    check: bool = True,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "BATON_DATABASE_URL": database_url, **(env or {})}
    result = subprocess.run(
        [BATON, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"baton {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def test_scripted_chat_qualifies_a_new_lead_end_to_end(database_url: str) -> None:
    chat = baton("chat", database_url=database_url, stdin="\n".join(QUALIFYING) + "\n")
    assert "outcome: handoff" in chat.stdout
    assert "lead is now SAL" in chat.stdout

    shown = json.loads(
        baton("lead", "show", "jane@acme.io", "--json", database_url=database_url).stdout
    )
    assert shown["lead"]["stage"] == "sal"
    assert shown["lead"]["name"] == "Jane Doe"
    # The role from the authority answer fills in the missing title, which fit scoring uses.
    assert shown["lead"]["title"] == "VP of Sales"
    assert any(line["rule_id"] == "fit.seniority" for line in shown["ledger"])
    assert shown["pending_handoff"] is not None
    dims = {a["dimension"]: a for a in shown["answers"] if not a["superseded"]}
    assert set(dims) == {"budget", "authority", "need", "timeline"}
    assert dims["budget"]["status"] == "ok"
    assert "50,000" in dims["budget"]["summary"]
    assert all(a["given_by"] == "prospect" for a in dims.values())
    moves = [(s["from_stage"], s["to_stage"]) for s in shown["stages"]]
    assert moves == [("new", "mql"), ("mql", "sal")]
    assert all(s["actor"] and s["reason"] for s in shown["stages"])

    explained = json.loads(
        baton("lead", "explain", "jane@acme.io", "--json", database_url=database_url).stdout
    )
    assert explained["score"] == sum(line["points"] for line in explained["ledger"])
    assert explained["score"] == shown["score"]
    text = baton("lead", "explain", "jane@acme.io", database_url=database_url).stdout
    assert f"score: {explained['score']}" in text
    assert "BANT" in text and "Fit" in text


def test_scripted_chat_disqualifies_no_budget_no_need(database_url: str) -> None:
    answers = [
        "Sam Lee",
        "sam@tiny.example",
        "Tiny Co",
        "just browsing really",
        "no budget yet",
        "my boss decides",
        "our CEO",
        "no",
        "not for a while",
        "yes",  # confirms the read-back of a vague timeline
        "3",
        "nothing",
    ]
    chat = baton("chat", database_url=database_url, stdin="\n".join(answers) + "\n")
    assert "I understood:" in chat.stdout and "Is that right?" in chat.stdout
    assert "outcome: disqualify" in chat.stdout
    shown = json.loads(
        baton("lead", "show", "sam@tiny.example", "--json", database_url=database_url).stdout
    )
    assert shown["lead"]["stage"] == "disqualified"
    assert [(s["from_stage"], s["to_stage"]) for s in shown["stages"]] == [
        ("new", "mql"),
        ("mql", "disqualified"),
    ]
    assert "no budget and no need" in shown["stages"][-1]["reason"]
    assert shown["stages"][-1]["actor"] == "prospect:cli"
    timeline = next(a for a in shown["answers"] if a["dimension"] == "timeline")
    assert timeline["status"] == "ok" and timeline["confidence"] < 0.6


def test_scripted_chat_returns_a_later_buyer_to_nurture(database_url: str) -> None:
    chat = baton("chat", database_url=database_url, stdin="\n".join(LATER_BUYER) + "\n")
    assert "outcome: nurture" in chat.stdout, chat.stdout
    shown = json.loads(
        baton("lead", "show", "kim@later.example", "--json", database_url=database_url).stdout
    )
    assert shown["lead"]["stage"] == "nurture"
    assert shown["stages"][-1]["to_stage"] == "nurture"
    assert shown["stages"][-1]["reason"].startswith("qualification chat:")


def test_chat_stopped_midway_resumes(database_url: str) -> None:
    first = baton("chat", database_url=database_url, stdin="Ann Smith\nann@acme.io\n")
    assert "resume with: baton chat --resume" in first.stdout
    conversation = first.stdout.rsplit("--resume", 1)[1].split(")")[0].strip()
    rest = "\n".join(QUALIFYING[2:]) + "\n"
    second = baton("chat", "--resume", conversation, database_url=database_url, stdin=rest)
    assert "outcome: handoff" in second.stdout


def test_unknown_lead_is_a_clear_error(database_url: str) -> None:
    result = baton("lead", "show", "nobody@nowhere.io", database_url=database_url, check=False)
    assert result.returncode == 3
    assert "no lead with email 'nobody@nowhere.io'" in result.stderr
    assert "Traceback" not in result.stderr


def test_flow_and_rules_check(tmp_path: Path, database_url: str) -> None:
    default = Path(__file__).parents[2] / "dialogs" / "flows" / "default.yaml"
    ok = baton("flow", "check", str(default), database_url=database_url)
    assert "ok: flow 'bant-default'" in ok.stdout
    assert "flowchart" in ok.stdout or "stateDiagram" in ok.stdout
    broken = tmp_path / "flow.yaml"
    broken.write_text(default.read_text().replace("kind: money", "kind: moneyy"))
    bad = baton("flow", "check", str(broken), database_url=database_url, check=False)
    assert bad.returncode == 2
    assert str(broken) in bad.stderr and "kind" in bad.stderr
    rules = tmp_path / "rules.yaml"
    shipped = Path(__file__).parents[2] / "qualification" / "rules" / "default.yaml"
    text = shipped.read_text()
    line = text[: text.index("mql_threshold:")].count("\n") + 1
    rules.write_text(text.replace("mql_threshold: 40", "mql_threshold: forty"))
    bad_rules = baton("rules", "check", str(rules), database_url=database_url, check=False)
    assert bad_rules.returncode == 2
    assert f"{rules}:{line}" in bad_rules.stderr and "mql_threshold" in bad_rules.stderr


@pytest.mark.parametrize("workers", [1])
def test_db_upgrade_and_status(database_url: str, workers: int) -> None:
    assert workers == 1
    upgraded = baton("db", "upgrade", database_url=database_url)
    assert "up to date" in upgraded.stdout
    status = baton("db", "status", database_url=database_url)
    assert "up to date" in status.stdout


def test_rules_change_then_rescore_is_versioned(tmp_path: Path, database_url: str) -> None:
    baton("chat", database_url=database_url, stdin="\n".join(QUALIFYING) + "\n")
    before = json.loads(
        baton("lead", "explain", "jane@acme.io", "--json", database_url=database_url).stdout
    )
    shipped = Path(__file__).parents[2] / "qualification" / "rules" / "default.yaml"
    edited = tmp_path / "rules.yaml"
    edited.write_text(shipped.read_text().replace("at_or_above: 15", "at_or_above: 25"))
    env_rules = {"BATON_RULES_FILE": str(edited)}
    out = baton("lead", "rescore", "--all", database_url=database_url, env=env_rules).stdout
    assert "re-scored 1 lead(s)" in out and "1 changed" in out
    after = json.loads(
        baton("lead", "explain", "jane@acme.io", "--json", database_url=database_url).stdout
    )
    assert after["score"] == before["score"] + 10
    assert after["score"] == sum(line["points"] for line in after["ledger"])
    newest = after["ledger"][-1]
    assert newest["rule_id"] == "bant.budget" and newest["points"] == 10
    assert newest["rules_version"] != before["ledger"][-1]["rules_version"]
    again = baton("lead", "rescore", "--all", database_url=database_url, env=env_rules).stdout
    assert "0 changed" in again


@pytest.mark.parametrize("command", [("serve", "--port", "0"), ("lead", "show", "x@y.io")])
def test_a_database_that_cannot_be_reached_is_one_clear_line_not_a_traceback(
    command: tuple[str, ...],
) -> None:
    with socket.socket() as closed:  # a loopback port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    url = f"postgresql://baton@127.0.0.1:{port}/baton"
    result = baton(*command, database_url=url, check=False)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: the database cannot be used: ")
    assert f"port {port} failed: Connection refused" in result.stderr
    assert "Check BATON_DATABASE_URL" in result.stderr
