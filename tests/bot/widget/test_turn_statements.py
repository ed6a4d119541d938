"""How many SQL statements an ordinary widget turn runs: a budget, so that a change which
reads the same rows again (or writes them twice) is caught. Counts, never times."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.bot.widget.helpers import answer, open_session
from tests.statements import statements

# The turn's one transaction: the visitor's conversation and its lead (held), the turn's
# messages, then the lead's answers, ledger and events, each read once; the answer, its score
# entries, the lead, both messages and the conversation, each written once. BEGIN and COMMIT
# are not counted.
ANSWER_TURN_BUDGET = 10
# A lead field (the company): no answer row; this one changes no score either.
CAPTURE_TURN_BUDGET = 8
# Before it, the rate limits: one upsert per counter (per IP, per visitor), and a clean-up of
# old windows when a counter starts a new window.
RATE_LIMIT_BUDGET = 4


def _split(seen: list[str]) -> tuple[list[str], list[str]]:
    """(the rate limits' statements, the turn's)."""
    limits = [s for s in seen if "rate_limit_windows" in s]
    return limits, [s for s in seen if "rate_limit_windows" not in s]


async def _answered(
    client: httpx.AsyncClient, widget: str, texts: list[str]
) -> tuple[str, int, str]:
    """A visitor who answered `texts`: (token, prompt version, current step)."""
    data = await open_session(client, widget)
    token, version = data["token"], data["prompt"]["version"]
    step = data["prompt"]["step_id"]
    for text in texts:
        reply = await answer(client, widget, token, text, version=version)
        assert reply.status_code == 200, reply.text
        version, step = reply.json()["prompt"]["version"], reply.json()["prompt"]["step_id"]
    return token, version, step


async def test_an_answer_turn_stays_within_its_statement_budget(
    client: httpx.AsyncClient, app: FastAPI, site_widget: str
) -> None:
    token, version, step = await _answered(
        client, site_widget, ["Jane Doe", "jane@acme-corp.io", "Acme Corp"]
    )
    assert step == "need"
    with statements(app.state.runtime.engine) as seen:
        reply = await answer(
            client, site_widget, token, "Our reps lose hours to manual data entry", version=version
        )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["prompt"]["step_id"] == "budget"
    assert body["seq"] + 1 == body["reply_seq"]
    limits, turn = _split(seen)
    assert len(limits) <= RATE_LIMIT_BUDGET, "\n".join(limits)
    assert len(turn) <= ANSWER_TURN_BUDGET, "\n\n".join(turn)
    # The lead's row is written once, with its score and last activity.
    assert sum(s.startswith("UPDATE leads") for s in turn) == 1, "\n\n".join(turn)


async def test_a_capture_turn_stays_within_its_statement_budget(
    client: httpx.AsyncClient, app: FastAPI, site_widget: str
) -> None:
    token, version, step = await _answered(client, site_widget, ["Jane Doe", "jane@acme.io"])
    assert step == "company"
    with statements(app.state.runtime.engine) as seen:
        reply = await answer(client, site_widget, token, "Acme Corp", version=version)
    assert reply.status_code == 200, reply.text
    assert reply.json()["prompt"]["step_id"] == "need"
    limits, turn = _split(seen)
    assert len(limits) <= RATE_LIMIT_BUDGET, "\n".join(limits)
    assert len(turn) <= CAPTURE_TURN_BUDGET, "\n\n".join(turn)
