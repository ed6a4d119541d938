"""`baton chat --sdr`: an SDR logging a call in the terminal gets the flow's recommendation and
decides, as in Slack; nothing is applied to the lead until the SDR says so."""

from __future__ import annotations

import json
from typing import Any

from tests.bot.test_cli import LATER_BUYER, QUALIFYING, baton

SDR = "sam.sdr@example.com"


def _call(database_url: str, answers: list[str], *, check: bool = True) -> Any:
    baton("user", "add", SDR, database_url=database_url)
    return baton(
        "chat",
        "--sdr",
        SDR,
        database_url=database_url,
        stdin="\n".join(answers) + "\n",
        check=check,
    )


def _shown(database_url: str, email: str) -> dict[str, Any]:
    shown = baton("lead", "show", email, "--json", database_url=database_url).stdout
    result: dict[str, Any] = json.loads(shown)
    return result


def test_a_call_that_qualifies_recommends_and_the_sdr_requests_the_handoff(
    database_url: str,
) -> None:
    call = _call(database_url, [*QUALIFYING, "handoff"])
    assert "recommendation: handoff" in call.stdout, call.stdout
    assert "handoff requested" in call.stdout
    shown = _shown(database_url, "jane@acme.io")
    assert shown["lead"]["stage"] == "sal"
    last = shown["stages"][-1]
    assert (last["to_stage"], last["actor"]) == ("sal", f"user:{SDR}")
    assert last["reason"] == f"qualified on a call by {SDR}"
    # The answers are the SDR's, not the prospect's.
    assert {a["given_by"] for a in shown["answers"]} == {"sdr"}


def test_a_call_without_a_decision_leaves_the_lead_where_it_was(database_url: str) -> None:
    call = _call(database_url, QUALIFYING)  # the input ends before a decision
    assert "recommendation: handoff" in call.stdout
    assert "the lead stays" in call.stdout
    assert "no decision: the lead stays where it is" in call.stdout
    shown = _shown(database_url, "jane@acme.io")
    assert shown["lead"]["stage"] not in ("sal", "sql")
    assert all(s["to_stage"] != "sal" for s in shown["stages"])
    assert all(not s["reason"].startswith("qualification chat") for s in shown["stages"])


def test_the_sdr_may_return_a_later_buyer_to_nurture_with_a_reason(database_url: str) -> None:
    call = _call(database_url, [*LATER_BUYER, "nurture budget comes next year"])
    assert "recommendation: nurture" in call.stdout, call.stdout
    assert "returned to nurture" in call.stdout
    shown = _shown(database_url, "kim@later.example")
    assert shown["lead"]["stage"] == "nurture"
    assert shown["stages"][-1]["reason"] == "budget comes next year"


def test_an_unknown_decision_is_a_clear_error_and_changes_nothing(database_url: str) -> None:
    call = _call(database_url, [*QUALIFYING, "promote"], check=False)
    assert call.returncode == 1
    assert "unknown decision 'promote'" in call.stderr
    shown = _shown(database_url, "jane@acme.io")
    assert all(s["to_stage"] != "sal" for s in shown["stages"])
