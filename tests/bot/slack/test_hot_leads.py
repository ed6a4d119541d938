"""Hot leads from the website in the SDR channel: one card per cause, claimed once."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlmodel import col, select

from bot.app import create_app
from bot.settings import Settings
from bot.slack.hot_lead_blocks import hot_lead_blocks
from qualification.stages import GivenBy, Role, Stage
from storage.apikeys import SCOPES, create_api_key
from storage.hot_lead_view import HotLeadView
from storage.models import Lead, OutboxItem, SlackPost, StageChange, User
from storage.widgets import create_widget
from tests.bot.slack.conftest import SDR_CHANNEL, SlackBaton
from tests.bot.slack.fake_slack import Call, FakeSlack
from tests.bot.slack.signing import FORM, SECRET, block_action, interaction_body, send
from tests.bot.widget.helpers import answer, open_session
from tests.dialogs.helpers import QUALIFIED, run_to
from tests.factories import make_lead, make_user

HOSTILE = "<!channel> <http://evil|click>"
QUALIFYING = [
    "Jane Doe",
    "jane@acme-corp.io",
    "Acme Corp",
    "Our reps spend hours on manual data entry and leads go cold",
    "about $50k a year",
    "I'm the VP of Sales and I make the decision",
    "next month",
    "about 250",
    "A CRM",
]
NOT_QUALIFYING = [
    "Joe Bloggs",
    "joe@tiny-shop.io",
    "Tiny Shop",
    "Nothing really, we don't need anything like this",
    "there is no budget",
    "I decide",
    "not sure",
    "about 3",
    "skip",
]
FIT = {"title": "VP of Sales", "industry": "software", "employee_count": 250, "country": "US"}


async def _widget_chat(baton: SlackBaton, answers: list[str]) -> dict[str, Any]:
    rt = baton.runtime
    with rt.session() as session:
        create_widget(session=session, flows=rt.flows, public_id="site")
        session.commit()
    data = await open_session(baton.client, "site")
    token, prompt = data["token"], data["prompt"]
    for text in answers:
        response = await answer(baton.client, "site", token, text, version=prompt["version"])
        assert response.status_code == 200, response.text
        prompt = response.json()["prompt"]
    assert prompt["done"] is True
    result: dict[str, Any] = prompt
    return result


def _lead_by_email(baton: SlackBaton, email: str) -> Lead:
    with baton.runtime.session() as session:
        return session.exec(select(Lead).where(Lead.email == email)).one()


async def _demo_request(baton: SlackBaton, **lead_fields: Any) -> Lead:
    """A fitting lead (via the API) that asks for a demo: it becomes an MQL."""
    with baton.runtime.session() as session:
        _row, key = create_api_key(session=session, name="marketing", scopes=SCOPES)
        session.commit()
    auth = {"Authorization": f"Bearer {key}"}
    email = lead_fields.pop("email", "kim@globex.io")
    body = {"email": email, "name": "Kim Ng", "company_name": "Globex", **FIT, **lead_fields}
    created = await baton.client.post("/api/v1/leads", json=body, headers=auth)
    assert created.status_code == 201, created.text
    event = {
        "email": email,
        "kind": "demo_request",
        "occurred_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "idempotency_key": "form-42",
    }
    for expected in (201, 200):  # the marketing system delivers the event twice
        response = await baton.client.post("/api/v1/events", json=event, headers=auth)
        assert response.status_code == expected, response.text
    return _lead_by_email(baton, email)


def _cards(baton: SlackBaton) -> list[Call]:
    return [c for c in baton.slack.of("chat.postMessage") if c.params["channel"] == SDR_CHANNEL]


def _posts(baton: SlackBaton) -> list[SlackPost]:
    with baton.runtime.session() as session:
        return list(
            session.exec(
                select(SlackPost).where(SlackPost.subject == "hot_lead").order_by(col(SlackPost.id))
            ).all()
        )


def _updates(baton: SlackBaton) -> list[Call]:
    return [c for c in baton.slack.of("chat.update") if c.params["channel"] == SDR_CHANNEL]


def _texts(blocks: list[dict[str, Any]]) -> str:
    return str(blocks)


async def _click(baton: SlackBaton, user: str, lead_id: int, ts: str) -> None:
    payload = block_action(user, "hot_lead_claim", str(lead_id), channel=SDR_CHANNEL, ts=ts)
    response = await send(baton.client, interaction_body(payload), FORM)
    assert response.status_code == 200


def _stored(baton: SlackBaton, lead_id: int) -> Lead:
    with baton.runtime.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None
        return lead


# --- posting --------------------------------------------------------------------------------


async def test_a_qualifying_widget_chat_posts_one_card_with_a_claim_button(
    baton: SlackBaton,
) -> None:
    prompt = await _widget_chat(baton, QUALIFYING)
    assert prompt["outcome"] == "handoff"
    lead = _lead_by_email(baton, "jane@acme-corp.io")
    await baton.deliver()
    (card,) = _cards(baton)
    blocks = card.params["blocks"]
    text = _texts(blocks)
    assert "Jane Doe" in text and "Acme Corp" in text and "VP of Sales" in text
    assert "*Why now:* qualifying website chat" in text
    assert f"*Score {lead.score}*" in text and "(+" in text  # top reasons with their points
    assert f"<https://baton.example.com/dashboard/leads/{lead.id}|" in text
    assert blocks[-1]["type"] == "actions"
    (claim,) = blocks[-1]["elements"]
    assert (claim["action_id"], claim["value"]) == ("hot_lead_claim", str(lead.id))
    assert card.params["unfurl_links"] is False
    (post,) = _posts(baton)
    assert (post.subject, post.subject_id, post.channel) == ("hot_lead", lead.id, SDR_CHANNEL)

    # Redelivered (the worker died after posting): the card is not posted again.
    with baton.runtime.session() as session:
        session.execute(
            update(OutboxItem)
            .where(col(OutboxItem.topic) == "lead.hot")
            .values(status="pending", next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        session.commit()
    assert await baton.deliver() == 1
    assert len(_cards(baton)) == 1 and len(_posts(baton)) == 1


async def test_a_demo_request_posts_one_card(baton: SlackBaton) -> None:
    lead = await _demo_request(baton)
    assert lead.stage is Stage.MQL
    await baton.deliver()
    await baton.deliver()
    (card,) = _cards(baton)
    text = _texts(card.params["blocks"])
    assert "*Kim Ng*" in text and "Globex" in text and "*Why now:* demo request" in text
    assert "Demo request" in text  # the biggest score reasons
    assert [p.subject_id for p in _posts(baton)] == [lead.id]


async def test_a_chat_that_does_not_qualify_posts_nothing(baton: SlackBaton) -> None:
    prompt = await _widget_chat(baton, NOT_QUALIFYING)
    assert prompt["outcome"] != "handoff"
    await baton.deliver()
    assert _cards(baton) == [] and _posts(baton) == []


async def test_an_sdrs_slack_conversation_posts_nothing(baton: SlackBaton) -> None:
    rt = baton.runtime
    with rt.session() as session:
        sdr = make_user(session, slack_user_id="USDR")
        lead = make_lead(session, name="Ada Lovelace", **FIT)
        prompt = rt.dialogs.start(
            session=session, lead=lead, channel="slack", given_by=GivenBy.SDR, user_id=sdr.id
        )
        answers = {**QUALIFIED, "team_size": "250", "current_tool": "we use salesforce"}
        prompt = run_to(rt.dialogs, session, prompt, answers)
    assert prompt.done and prompt.outcome is not None
    assert prompt.outcome.action.value == "handoff"
    await baton.deliver()
    assert _cards(baton) == [] and _posts(baton) == []


async def test_without_an_sdr_channel_nothing_is_posted(
    database_url: str, fake_slack: FakeSlack
) -> None:
    settings = Settings(
        database_url=database_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SECRET,
        slack_api_url=fake_slack.url,
        outbox_worker=False,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as client:
        quiet = SlackBaton(app=app, client=client, slack=fake_slack)
        await _demo_request(quiet)
        assert await quiet.deliver() > 0
        assert fake_slack.of("chat.postMessage") == [] and _posts(quiet) == []
    app.state.runtime.engine.dispose()


async def test_what_the_prospect_typed_is_escaped_in_the_card(baton: SlackBaton) -> None:
    await _widget_chat(baton, [HOSTILE, *QUALIFYING[1:]])
    await baton.deliver()
    (card,) = _cards(baton)
    text = _texts(card.params["blocks"]) + card.params["text"]
    assert "&lt;!channel&gt; &lt;http://evil|click&gt;" in text
    assert "<!channel>" not in text and "<http://evil" not in text


# --- claiming -------------------------------------------------------------------------------


async def _posted_demo_lead(baton: SlackBaton) -> tuple[Lead, str]:
    with baton.runtime.session() as session:
        make_user(session, slack_user_id="USDR", name="Sam Sdr")
        make_user(session, slack_user_id="USDR2", name="Kim Sdr")
        make_user(session, slack_user_id="UBOSS", name="Mia Manager", role=Role.MANAGER)
    lead = await _demo_request(baton)
    await baton.deliver()
    (card,) = _cards(baton)
    return lead, str(card.params.get("ts") or _posts(baton)[0].ts)


def _accepts(baton: SlackBaton, lead_id: int) -> list[StageChange]:
    with baton.runtime.session() as session:
        return list(
            session.exec(
                select(StageChange).where(
                    StageChange.lead_id == lead_id, StageChange.event == "accept"
                )
            ).all()
        )


def _user_id(baton: SlackBaton, slack_id: str) -> int | None:
    with baton.runtime.session() as session:
        return session.exec(select(User.id).where(User.slack_user_id == slack_id)).one()


async def test_claim_makes_the_lead_a_sal_owned_by_the_sdr_and_updates_the_card(
    baton: SlackBaton,
) -> None:
    lead, ts = await _posted_demo_lead(baton)
    (post,) = _posts(baton)
    await _click(baton, "USDR", lead.id or 0, post.ts)
    (told,) = await baton.slack.wait_for("chat.postEphemeral")
    assert (told.params["channel"], told.params["user"]) == (SDR_CHANNEL, "USDR")
    assert "You claimed *Kim Ng*" in told.params["text"]
    stored = _stored(baton, lead.id or 0)
    sam = _user_id(baton, "USDR")
    assert stored.stage is Stage.SAL and stored.owner_id == sam
    (accept,) = _accepts(baton, lead.id or 0)
    assert accept.actor_user_id == sam and accept.from_stage is Stage.MQL

    assert _updates(baton) == []  # the outbox updates the card
    await baton.deliver()
    (update_call,) = _updates(baton)
    assert (update_call.params["channel"], update_call.params["ts"]) == (post.channel, post.ts)
    blocks = update_call.params["blocks"]
    assert all(b["type"] != "actions" for b in blocks)
    assert "*Claimed* by <@USDR> at 20" in blocks[-1]["text"]["text"]
    assert "*Why now:* demo request" in _texts(blocks)
    assert ts == post.ts


async def test_a_second_claim_is_refused_ephemerally_and_changes_nothing(
    baton: SlackBaton,
) -> None:
    lead, _ = await _posted_demo_lead(baton)
    (post,) = _posts(baton)
    await _click(baton, "USDR", lead.id or 0, post.ts)
    await baton.slack.wait_for("chat.postEphemeral")
    await baton.deliver()
    await _click(baton, "USDR2", lead.id or 0, post.ts)
    told = (await baton.slack.wait_for("chat.postEphemeral", 2))[1]
    assert told.params["user"] == "USDR2" and told.params["channel"] == SDR_CHANNEL
    assert told.params["text"] == "Sam Sdr already claimed this lead; nothing was changed."
    await baton.deliver()
    stored = _stored(baton, lead.id or 0)
    assert stored.owner_id == _user_id(baton, "USDR") and stored.stage is Stage.SAL
    assert len(_accepts(baton, lead.id or 0)) == 1
    assert len(_updates(baton)) == 1


async def test_two_sdrs_clicking_at_once_one_owns_the_lead(baton: SlackBaton) -> None:
    lead, _ = await _posted_demo_lead(baton)
    (post,) = _posts(baton)
    await asyncio.gather(
        _click(baton, "USDR", lead.id or 0, post.ts),
        _click(baton, "UBOSS", lead.id or 0, post.ts),
    )
    told = await baton.slack.wait_for("chat.postEphemeral", 2)
    refused = [t for t in told if "already claimed" in t.params["text"]]
    (won,) = [t for t in told if "You claimed" in t.params["text"]]
    assert len(refused) == 1 and refused[0].params["user"] != won.params["user"]
    stored = _stored(baton, lead.id or 0)
    assert stored.owner_id == _user_id(baton, won.params["user"])
    assert len(_accepts(baton, lead.id or 0)) == 1
    await baton.deliver()
    (update_call,) = _updates(baton)
    assert f"<@{won.params['user']}>" in update_call.params["blocks"][-1]["text"]["text"]


async def test_an_unknown_slack_user_is_told_how_to_join(baton: SlackBaton) -> None:
    lead, _ = await _posted_demo_lead(baton)
    (post,) = _posts(baton)
    await _click(baton, "USTRANGER", lead.id or 0, post.ts)
    (told,) = await baton.slack.wait_for("chat.postEphemeral")
    assert told.params["user"] == "USTRANGER"
    assert "I don't know you yet" in told.params["text"]
    assert "--slack-id USTRANGER" in told.params["text"]
    stored = _stored(baton, lead.id or 0)
    assert stored.owner_id is None and stored.stage is Stage.MQL
    await baton.deliver()
    assert _updates(baton) == []


# --- the card on its own ----------------------------------------------------------------------


def _view(**changes: Any) -> HotLeadView:
    view = HotLeadView(
        lead_id=7,
        name="Dana",
        email=None,
        title="",
        company="",
        stage="mql",
        score=55,
        top_reasons=("Demo request (+20)",),
        causes=("demo_request", "website_chat"),
        owner_name=None,
        owner_slack_id=None,
    )
    return replace(view, **changes)


def test_a_card_names_every_cause_and_needs_no_dashboard() -> None:
    blocks = hot_lead_blocks(_view(), dashboard_url=None)
    text = _texts(blocks)
    assert "demo request; qualifying website chat" in text and "unknown company" in text
    assert "dashboard" not in text and blocks[-1]["type"] == "actions"


def test_a_card_offers_no_claim_for_a_disqualified_or_owned_lead() -> None:
    gone = hot_lead_blocks(_view(stage="disqualified"), dashboard_url=None)
    assert all(b["type"] != "actions" for b in gone)
    assert gone[-1]["text"]["text"] == "Not claimable: the lead is disqualified."
    owned = hot_lead_blocks(_view(stage="sal", owner_name="Sam <b>"), dashboard_url=None)
    assert all(b["type"] != "actions" for b in owned)
    assert owned[-1]["text"]["text"] == "*Claimed* by Sam &lt;b&gt;"
