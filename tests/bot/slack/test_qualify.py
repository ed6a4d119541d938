"""/qualify: the call form opens prefilled, bad answers are refused inline, good ones stored."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import select

from qualification.parsers import ParseContext, parse_answer
from qualification.parsers.result import AnswerKind
from qualification.stages import Dimension, GivenBy
from storage.answers import current_answers, record_answer
from storage.leads import find_lead_by_email
from storage.ledger import ledger_sum, rescore_lead
from storage.models import Conversation, Lead, Message
from tests.bot.slack.conftest import SlackBaton
from tests.bot.slack.signing import (
    FORM,
    command_body,
    interaction_body,
    send,
    text_value,
    view_submission,
)
from tests.factories import make_lead, make_user


def _prospect_budget(baton: SlackBaton, lead: Lead, text: str) -> None:
    rt = baton.runtime
    with rt.session() as session:
        lead = session.get(Lead, lead.id) or lead
        result = parse_answer(
            AnswerKind.MONEY, text, context=ParseContext(today=date(2026, 11, 23))
        )
        record_answer(
            session=session,
            lead=lead,
            dimension=Dimension.BUDGET,
            result=result,
            raw_text=text,
            given_by=GivenBy.PROSPECT,
        )
        rescore_lead(session=session, lead=lead, rules=rt.rules, now=datetime.now(UTC))
        session.commit()


async def test_qualify_opens_the_form_prefilled_with_the_prospects_answers(
    baton: SlackBaton,
) -> None:
    with baton.runtime.session() as session:
        make_user(session, slack_user_id="USDR1")
        lead = make_lead(session, email="dana@acme.io", name="Dana Scully")
    _prospect_budget(baton, lead, "about $30k a year")

    response = await send(baton.client, command_body("USDR1", "Dana@Acme.io"), FORM)
    assert response.status_code == 200

    (call,) = await baton.slack.wait_for("views.open")
    assert call.params["trigger_id"] == "trigger-USDR1"
    view = call.params["view"]
    assert view["callback_id"] == "qualify"
    assert view["private_metadata"] == f'{{"lead_id":{lead.id}}}'
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == ["step:need", "step:budget", "step:authority", "step:timeline", "notes"]
    budget = inputs["step:budget"]
    assert budget["label"]["text"] == "Budget (prospect said)"
    assert budget["element"]["initial_value"] == "about $30k a year"
    assert "budget in mind" in budget["hint"]["text"]
    assert "initial_value" not in inputs["step:need"]["element"]
    assert inputs["step:need"]["element"]["multiline"] is True
    assert "Dana Scully" in view["blocks"][0]["text"]["text"]


async def test_unknown_lead_opens_a_form_to_add_it(baton: SlackBaton) -> None:
    with baton.runtime.session() as session:
        make_user(session, slack_user_id="USDR1")
    await send(baton.client, command_body("USDR1", "new@prospect.io"), FORM)
    (call,) = await baton.slack.wait_for("views.open")
    view = call.params["view"]
    assert view["callback_id"] == "create_lead"
    email = next(b for b in view["blocks"] if b.get("block_id") == "email")
    assert email["element"]["initial_value"] == "new@prospect.io"

    values = {
        "email": text_value("new@prospect.io"),
        "name": text_value("Nia New"),
        "company": text_value("Prospect Inc"),
    }
    payload = view_submission("USDR1", "create_lead", values, {})
    response = await send(baton.client, interaction_body(payload), FORM)
    assert response.status_code == 200
    body = response.json()
    assert body["response_action"] == "update"
    assert body["view"]["callback_id"] == "qualify"
    with baton.runtime.session() as session:
        lead = find_lead_by_email(session=session, email="new@prospect.io")
        assert lead is not None and lead.company_name == "Prospect Inc"


async def test_unknown_slack_user_is_told_how_to_be_added(baton: SlackBaton) -> None:
    await send(baton.client, command_body("UNOBODY", "x@y.io"), FORM)
    (call,) = await baton.slack.wait_for("chat.postEphemeral")
    assert call.params["user"] == "UNOBODY"
    assert call.params["channel"] == "CSDR"
    assert "baton user add YOUR_EMAIL --role sdr --slack-id UNOBODY" in call.params["text"]
    assert baton.slack.of("views.open") == []


def _form(budget: str, **more: str) -> dict[str, dict[str, object]]:
    values = {"step:budget": text_value(budget), "notes": text_value(more.pop("notes", ""))}
    values.update({f"step:{k}": text_value(v) for k, v in more.items()})
    return values


async def test_an_unreadable_budget_is_refused_inline_and_nothing_is_stored(
    baton: SlackBaton,
) -> None:
    with baton.runtime.session() as session:
        make_user(session, slack_user_id="USDR1")
        lead = make_lead(session)
    payload = view_submission(
        "USDR1",
        "qualify",
        _form("purple monkeys", timeline="next quarter"),
        {"lead_id": lead.id},
    )
    response = await send(baton.client, interaction_body(payload), FORM)
    assert response.status_code == 200
    body = response.json()
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == ["step:budget"]
    assert body["errors"]["step:budget"]
    with baton.runtime.session() as session:
        assert current_answers(session=session, lead_id=lead.id or 0) == {}


async def test_a_valid_call_is_stored_as_the_sdrs_and_rescored(baton: SlackBaton) -> None:
    with baton.runtime.session() as session:
        sdr = make_user(session, slack_user_id="USDR1")
        lead = make_lead(session, name="Fox Mulder")
    _prospect_budget(baton, lead, "about $30k a year")
    with baton.runtime.session() as session:
        before = ledger_sum(session=session, lead_id=lead.id or 0)

    form = _form(
        "about $30k a year",  # unchanged: stays the prospect's answer
        need="our reps spend hours on manual data entry",
        authority="I'm the VP of Sales and I sign off",
        timeline="next month",
        notes="Great call <!channel>",
    )
    payload = view_submission("USDR1", "qualify", form, {"lead_id": lead.id})
    response = await send(baton.client, interaction_body(payload), FORM)
    assert response.status_code == 200
    assert response.text == ""

    (dm,) = await baton.slack.wait_for("chat.postMessage")
    assert dm.params["channel"] == "USDR1"
    buttons = dm.params["blocks"][-1]["elements"]
    assert [b["action_id"] for b in buttons] == ["request_handoff", "return_to_nurture"]
    assert all(b["value"] == str(lead.id) for b in buttons)
    assert "Score breakdown" in dm.params["blocks"][1]["text"]["text"]

    with baton.runtime.session() as session:
        answers = current_answers(session=session, lead_id=lead.id or 0)
        assert {d: a.given_by for d, a in answers.items()} == {
            Dimension.BUDGET: GivenBy.PROSPECT,
            Dimension.NEED: GivenBy.SDR,
            Dimension.AUTHORITY: GivenBy.SDR,
            Dimension.TIMELINE: GivenBy.SDR,
        }
        assert answers[Dimension.NEED].given_by_user_id == sdr.id
        stored = session.get(Lead, lead.id)
        assert stored is not None
        assert stored.score == ledger_sum(session=session, lead_id=lead.id or 0) > before
        call = session.exec(select(Conversation).where(Conversation.lead_id == lead.id)).one()
        assert call.channel == "slack" and call.status == "completed"
        note = session.exec(select(Message).where(Message.conversation_id == call.id)).one()
        assert note.text == "Great call <!channel>"
