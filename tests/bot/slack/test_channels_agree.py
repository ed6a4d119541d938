"""A lead qualified in the web widget, by an SDR in Slack or in the terminal ends the same way:
same stage, same parsed answers, same score and the same moves in its audit trail."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from qualification.stages import Dimension, HandoffStatus, Stage
from storage.answers import current_answers
from storage.handoffs import pending_handoff
from storage.models import Conversation, Lead, StageChange
from storage.widgets import create_widget
from tests.bot.slack.cards import click
from tests.bot.slack.conftest import SlackBaton
from tests.bot.slack.test_conversation import _sdr, _start, _walk
from tests.bot.test_cli import baton as baton_cli
from tests.bot.widget.helpers import answer, open_session
from tests.factories import make_lead

NAME, COMPANY = "Jane Doe", "Acme Corp"
STEPS = {
    "need": "Our reps spend hours on manual data entry and leads go cold",
    "budget": "about $50k a year",
    "authority": "I'm the VP of Sales and I make the decision",
    "timeline": "next month",
    "team_size": "about 250",
    "current_tool": "A CRM",
}


def _end_state(baton: SlackBaton, lead_id: int) -> dict[str, Any]:
    with baton.runtime.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        request = pending_handoff(session=session, lead_id=lead_id)
        answers = current_answers(session=session, lead_id=lead_id)
        moves = session.exec(
            select(StageChange).where(StageChange.lead_id == lead_id).order_by(col(StageChange.id))
        ).all()
        return {
            "stage": lead.stage,
            "score": lead.score,
            "title": lead.title,
            "employee_count": lead.employee_count,
            "handoff": request.status if request else None,
            "answers": {d: (a.parsed, a.status) for d, a in answers.items()},
            "moves": [(m.event, m.from_stage, m.to_stage) for m in moves],
        }


async def _by_widget(baton: SlackBaton, email: str) -> int:
    rt = baton.runtime
    with rt.session() as session:
        create_widget(session=session, flows=rt.flows, public_id="site", settings={})
        session.commit()
    data = await open_session(baton.client, "site")
    token, prompt = data["token"], data["prompt"]
    for text in [NAME, email, COMPANY, *STEPS.values()]:
        response = await answer(baton.client, "site", token, text, version=prompt["version"])
        assert response.status_code == 200, response.text
        prompt = response.json()["prompt"]
    assert prompt["outcome"] == "handoff"
    with rt.session() as session:
        conversation = session.get(Conversation, prompt["conversation_id"])
        assert conversation is not None
        return conversation.lead_id


async def _by_slack_chat(baton: SlackBaton, email: str) -> int:
    _sdr(baton)
    with baton.runtime.session() as session:
        lead = make_lead(
            session,
            email=email,
            name=NAME,
            company_name=COMPANY,
            title="",
            industry="",
            employee_count=None,
            country="",
        )
    thread, _ = await _start(baton, email)
    done, _ = await _walk(baton, thread, STEPS, posts=1)
    assert done.params["text"] == "Call logged: recommendation handoff"
    await click(baton, "USDR", "request_handoff", lead.id)  # the SDR follows it
    await baton.slack.wait_for("chat.postMessage", 1 + len(STEPS) + 1)  # + "requested"
    return lead.id or 0


def _by_cli(baton: SlackBaton, email: str) -> int:
    baton_cli(
        "chat",
        "--email",
        email,
        "--name",
        NAME,
        "--company",
        COMPANY,
        database_url=baton.runtime.settings.database_url,
        stdin="\n".join(STEPS.values()) + "\n",
    )
    with baton.runtime.session() as session:
        lead = session.exec(select(Lead).where(Lead.email == email)).one()
        return lead.id or 0


async def test_widget_slack_and_cli_qualifications_end_the_same(baton: SlackBaton) -> None:
    web = _end_state(baton, await _by_widget(baton, "jane@acme-corp.io"))
    slack = _end_state(baton, await _by_slack_chat(baton, "jane@acme-corp.com"))
    cli = _end_state(baton, _by_cli(baton, "jane@acme-corp.net"))

    assert web["stage"] is Stage.SAL and web["handoff"] is HandoffStatus.PENDING
    assert set(web["answers"]) == set(Dimension)
    assert web["moves"] == [("mark_mql", Stage.NEW, Stage.MQL), ("accept", Stage.MQL, Stage.SAL)]
    assert slack == web
    assert cli == web
