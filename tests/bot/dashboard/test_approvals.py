"""The approvals page: managers decide handoff requests as they do in Slack (the first decision
wins; the outbox updates the Slack cards and tells the SDR)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col, func, select

import qualification
from bot.dashboard.approvals import actor_label, waited_for
from dialogs.sdr_call import ask_for_handoff
from qualification.stages import HandoffStatus, Role, Stage
from storage.handoffs import decide_handoff
from storage.models import HandoffRequest, Lead, OutboxItem, StageChange, User
from storage.widgets import create_widget
from tests.bot.dashboard.conftest import HTML, Dashboard, build_app
from tests.bot.dashboard.pages import csrf_token, section, text
from tests.bot.slack.cards import (
    card_posts,
    click,
    outbox_items,
    posted_to,
    requested,
    stored_request,
    until,
)
from tests.bot.slack.conftest import APPROVAL_CHANNEL, SDR_CHANNEL, SlackBaton
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.signing import SECRET
from tests.bot.widget.helpers import answer, open_session
from tests.factories import make_lead

SECRET_KEY = "k" * 16 + "test-secret-key-0123456789abcdef"
HOSTILE_NAME = "Jane <script>alert('name')</script> Doe"
HOSTILE_COMPANY = "Acme <img src=x onerror=alert(1)> & Co"
CHAT = [
    HOSTILE_NAME,
    "jane@acme-approvals.io",
    HOSTILE_COMPANY,
    "Our reps spend hours on manual data entry and leads go cold",
    "about $50k a year",
    "I'm the VP of Sales and I make the decision",
    "next month",
    "about 250",
    "A CRM",
]


# --- how things stand ----------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """Everything a decision changes: the request, the lead, its audit trail, the outbox."""

    status: HandoffStatus
    decided_by_user_id: int | None
    comment: str
    stage: Stage
    moves: int
    outbox: int


def snapshot(dash: Dashboard, request_id: int) -> Snapshot:
    with dash.runtime.session() as session:
        request = session.get(HandoffRequest, request_id)
        assert request is not None
        lead = session.get(Lead, request.lead_id)
        assert lead is not None
        moves = session.exec(select(func.count()).select_from(StageChange)).one()
        outbox = session.exec(select(func.count()).select_from(OutboxItem)).one()
        return Snapshot(
            status=request.status,
            decided_by_user_id=request.decided_by_user_id,
            comment=request.comment,
            stage=lead.stage,
            moves=int(moves),
            outbox=int(outbox),
        )


def decided_items(dash: Dashboard) -> list[OutboxItem]:
    with dash.runtime.session() as session:
        query = select(OutboxItem).where(OutboxItem.topic == "handoff.decided")
        return list(session.exec(query.order_by(col(OutboxItem.id))).all())


def moves_of(dash: Dashboard, lead_id: int) -> list[StageChange]:
    with dash.runtime.session() as session:
        query = select(StageChange).where(StageChange.lead_id == lead_id)
        return list(session.exec(query.order_by(col(StageChange.id))).all())


# --- making requests -----------------------------------------------------------------------


async def qualified_by_widget(dash: Dashboard) -> HandoffRequest:
    """A prospect qualifies in the web widget (over its HTTP API); the lead asks for handoff."""
    rt = dash.runtime
    with rt.session() as session:
        create_widget(session=session, flows=rt.flows, public_id="site", settings={})
        session.commit()
    data = await open_session(dash.client, "site")
    token, prompt = data["token"], data["prompt"]
    for line in CHAT:
        response = await answer(dash.client, "site", token, line, version=prompt["version"])
        assert response.status_code == 200, response.text
        prompt = response.json()["prompt"]
    assert prompt["outcome"] == "handoff"
    with rt.session() as session:
        return session.exec(select(HandoffRequest)).one()


def requested_by_sdr(dash: Dashboard, sdr: User, **lead: Any) -> HandoffRequest:
    """An SDR accepted a lead and asked for its handoff (as from Slack or the REST API)."""
    rt = dash.runtime
    with rt.session() as session:
        row = make_lead(session, **lead)
        request, created = ask_for_handoff(
            session=session, lead_id=row.id or 0, user=sdr, rules=rt.rules
        )
        session.commit()
    assert created and request.status is HandoffStatus.PENDING
    return request


def requested_ago(dash: Dashboard, request_id: int, ago: timedelta) -> None:
    with dash.runtime.session() as session:
        session.execute(
            update(HandoffRequest)
            .where(col(HandoffRequest.id) == request_id)
            .values(created_at=datetime.now(UTC) - ago)
        )
        session.commit()


async def decide(
    dash: Dashboard,
    request_id: int,
    verb: str,
    *,
    comment: str | None = None,
    back: str | None = None,
    token: str | None = "page",
) -> httpx.Response:
    """Post the page's decision form (`token="page"`: the token the page's forms carry)."""
    data: dict[str, str] = {}
    if token == "page":
        data["csrf_token"] = await dash.token("/dashboard/leads")
    elif token is not None:
        data["csrf_token"] = token
    if comment is not None:
        data["comment"] = comment
    if back is not None:
        data["back"] = back
    return await dash.client.post(
        f"/dashboard/approvals/{request_id}/{verb}", data=data, headers=HTML
    )


async def follow(dash: Dashboard, response: httpx.Response) -> httpx.Response:
    assert response.status_code == 303, response.text
    return await dash.client.get(response.headers["location"], headers=HTML)


# --- the queue -----------------------------------------------------------------------------


async def test_the_queue_shows_pending_requests_oldest_first_with_the_slack_summary(
    dash: Dashboard,
) -> None:
    sdr = dash.account(role=Role.SDR, name="Sam Rivera")
    widget_request = await qualified_by_widget(dash)
    call_request = requested_by_sdr(dash, sdr, name="Carl Caller", company_name="Calls Ltd")
    requested_ago(dash, widget_request.id or 0, timedelta(hours=3, minutes=5))
    requested_ago(dash, call_request.id or 0, timedelta(minutes=20))
    await dash.login(dash.account(role=Role.MANAGER, name="Morgan Lee"))

    page = await dash.page("/dashboard/approvals")
    assert page.status_code == 200
    html = page.text
    assert '<a href="/dashboard/approvals" aria-current="page"' in html  # in the navigation
    pending = section(html, "pending")
    # Prospect text is shown as typed, never as markup.
    assert "<script>" not in html and "<img src=x" not in html
    assert "Jane &lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt; Doe" in pending
    assert "Acme &lt;img src=x onerror=alert(1)&gt; &amp; Co" in pending

    shown = text(pending)
    assert shown.index(HOSTILE_NAME) < shown.index("Carl Caller")  # oldest first
    assert re.search(r"Waiting for a decision 2\b", shown)
    widget_card = text(pending.split(f'id="request-{call_request.id}"')[0])
    lead_id = widget_request.lead_id
    assert f'<a href="/dashboard/leads/{lead_id}">' in pending
    with dash.runtime.session() as session:
        lead = session.get(Lead, lead_id)
        assert lead is not None and lead.stage is Stage.SAL
    assert f"{lead.score} points" in widget_card
    assert "waiting 3 h 5 min" in widget_card
    assert "Requested by the prospect (web)" in widget_card  # no Baton user asked
    for dimension in ("Budget", "Authority", "Need", "Timeline"):
        assert dimension in widget_card
    assert "USD 50,000" in widget_card  # the parsed budget, as Slack's card summarises it
    assert "(prospect)" in widget_card
    assert re.search(r"Top reasons .*\(\+\d+\)", widget_card)

    call_card = text(pending.split(f'id="request-{call_request.id}"')[1])
    assert "Calls Ltd" in call_card
    assert "Requested by Sam Rivera" in call_card
    assert "waiting 20 min" in call_card
    assert "No answers yet." in call_card

    forms = re.findall(r'action="(/dashboard/approvals/\d+/\w+)"', pending)
    assert f"/dashboard/approvals/{widget_request.id}/approve" in forms
    assert f'formaction="/dashboard/approvals/{call_request.id}/reject"' in pending
    assert csrf_token(pending)
    assert "No decisions in the last 7 days." in text(section(html, "decided"))


@pytest.mark.parametrize(
    ("waited", "said"),
    [
        (timedelta(seconds=59), "under 1 min"),
        (timedelta(minutes=45, seconds=30), "45 min"),
        (timedelta(hours=4), "4 h"),
        (timedelta(hours=4, minutes=10), "4 h 10 min"),
        (timedelta(days=2), "2 d"),
        (timedelta(days=2, hours=3, minutes=59), "2 d 3 h"),
    ],
)
def test_waits_are_said_as_people_say_them(waited: timedelta, said: str) -> None:
    assert waited_for(waited) == said


@pytest.mark.parametrize(
    ("recorded", "said"),
    [
        ("Sam Rivera", "Sam Rivera"),
        ("user:sam@example.com", "sam@example.com"),
        ("prospect:web", "the prospect (web)"),
        ("system:auto-approve", "Baton (auto-approve)"),
        ("marketing", "marketing"),
    ],
)
def test_recorded_actors_are_named_as_people_say_them(recorded: str, said: str) -> None:
    assert actor_label(recorded) == said


async def test_an_empty_queue_says_so(dash: Dashboard) -> None:
    await dash.login(dash.account(role=Role.MANAGER))
    page = await dash.page("/dashboard/approvals")
    assert page.status_code == 200
    assert "Nothing is waiting for a decision." in text(section(page.text, "pending"))


# --- approving and rejecting ---------------------------------------------------------------


async def test_approve_makes_the_lead_sql_audits_it_and_queues_the_slack_update(
    dash: Dashboard,
) -> None:
    request = await qualified_by_widget(dash)
    boss = dash.account(role=Role.MANAGER, name="Morgan Lee")
    await dash.login(boss)
    before = snapshot(dash, request.id or 0)

    response = await decide(dash, request.id or 0, "approve", comment="  great fit  ")
    assert response.status_code == 303
    assert response.headers["location"] == f"/dashboard/approvals?done={request.id}"
    after = snapshot(dash, request.id or 0)
    assert after.status is HandoffStatus.APPROVED
    assert after.decided_by_user_id == boss.id
    assert after.comment == "great fit"
    assert after.stage is Stage.SQL
    assert after.moves == before.moves + 1
    last = moves_of(dash, request.lead_id)[-1]
    assert (last.from_stage, last.to_stage) == (Stage.SAL, Stage.SQL)
    assert last.actor == f"user:{boss.email}" and last.actor_user_id == boss.id
    assert last.reason == f"handoff approved by {boss.email}: great fit"
    (item,) = decided_items(dash)
    assert item.status == "pending"
    assert item.payload["request_id"] == request.id
    assert item.payload["status"] == "approved"
    assert item.payload["decided_by"] == f"user:{boss.email}"

    page = await follow(dash, response)
    notice = page.text.split('data-testid="notice">')[1].split("</p>")[0]
    assert "You approved the handoff of Jane &lt;script&gt;" in notice
    assert "the lead is now SQL." in notice
    assert "Nothing is waiting for a decision." in text(section(page.text, "pending"))
    decided = text(section(page.text, "decided"))
    assert f"{HOSTILE_NAME} SQL" in decided
    assert "Approved Morgan Lee" in decided and "great fit" in decided


@pytest.fixture(params=["sal", "nurture"])
async def strict_dash(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> AsyncIterator[Dashboard]:
    """A dashboard whose rules send a rejected lead to `param` (stays SAL, or nurture)."""
    rules = (Path(qualification.__file__).parent / "rules" / "default.yaml").read_text()
    setting = f"rejected_handoff_goes_to: {request.param}"
    edited = re.sub(r"^rejected_handoff_goes_to: \w+", setting, rules, count=1, flags=re.M)
    assert setting in edited
    path = tmp_path / "rules.yaml"
    path.write_text(edited)
    app = build_app(database_url, secret_key=SECRET_KEY, rules_file=str(path))
    assert app.state.runtime.rules.rejected_handoff_goes_to is Stage(request.param)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://baton.test") as client:
        yield Dashboard(app=app, client=client)
    app.state.runtime.engine.dispose()


async def test_reject_with_a_comment_sends_the_lead_where_the_rules_say(
    strict_dash: Dashboard,
) -> None:
    dash = strict_dash
    goes_to = dash.runtime.rules.rejected_handoff_goes_to
    sdr = dash.account(role=Role.SDR, name="Sam Rivera")
    request = requested_by_sdr(dash, sdr, name="Rex Rejected")
    boss = dash.account(role=Role.MANAGER, name="Morgan Lee")
    await dash.login(boss)
    before = snapshot(dash, request.id or 0)
    comment = "No budget <b>until</b> 2027 & no champion"

    response = await decide(dash, request.id or 0, "reject", comment=comment)
    page = await follow(dash, response)
    after = snapshot(dash, request.id or 0)
    assert after.status is HandoffStatus.REJECTED
    assert after.comment == comment
    assert after.stage is goes_to
    if goes_to is Stage.NURTURE:
        assert after.moves == before.moves + 1
        last = moves_of(dash, request.lead_id)[-1]
        assert (last.from_stage, last.to_stage) == (Stage.SAL, Stage.NURTURE)
        assert last.reason == f"handoff rejected by {boss.email}: {comment}"
        assert last.actor_user_id == boss.id
    else:
        assert after.moves == before.moves  # the lead stays with the SDR
    (item,) = decided_items(dash)
    assert item.payload["status"] == "rejected" and item.payload["comment"] == comment

    assert f"You rejected the handoff of Rex Rejected; the lead is now {goes_to.value.upper()}" in (
        text(page.text).replace("Nurture", "NURTURE")
    )
    decided = section(page.text, "decided")
    assert "No budget &lt;b&gt;until&lt;/b&gt; 2027 &amp; no champion" in decided
    assert "<b>until</b>" not in page.text
    assert "Rejected" in text(decided) and "Morgan Lee" in text(decided)


@pytest.mark.parametrize(
    ("comment", "problem"),
    [
        (None, "a rejection needs a comment"),
        ("   \n ", "a rejection needs a comment"),
        ("x" * 2001, "a comment is at most 2000 characters"),
    ],
    ids=["missing", "blank", "too-long"],
)
async def test_a_reject_without_a_usable_comment_changes_nothing(
    dash: Dashboard, comment: str | None, problem: str
) -> None:
    request = requested_by_sdr(dash, dash.account(role=Role.SDR))
    await dash.login(dash.account(role=Role.MANAGER))
    before = snapshot(dash, request.id or 0)
    response = await decide(dash, request.id or 0, "reject", comment=comment)
    assert response.status_code == 422
    assert problem in text(response.text) and "nothing was changed" in text(response.text)
    assert snapshot(dash, request.id or 0) == before


async def test_a_long_approval_comment_is_kept_whole(dash: Dashboard) -> None:
    request = requested_by_sdr(dash, dash.account(role=Role.SDR))
    await dash.login(dash.account(role=Role.MANAGER))
    before = snapshot(dash, request.id or 0)
    assert (await decide(dash, request.id or 0, "approve", comment="y" * 2001)).status_code == 422
    assert snapshot(dash, request.id or 0) == before
    comment = "Strong fit.\n" + "y" * 1500
    response = await decide(dash, request.id or 0, "approve", comment=comment)
    assert response.status_code == 303
    assert snapshot(dash, request.id or 0).comment == comment


async def test_an_unknown_request_is_a_404_page(dash: Dashboard) -> None:
    await dash.login(dash.account(role=Role.MANAGER))
    response = await decide(dash, 424242, "approve")
    assert response.status_code == 404
    assert "no handoff request #424242" in text(response.text)


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["approve", "reject"])
async def test_a_decision_without_the_csrf_token_is_refused_and_changes_nothing(
    dash: Dashboard, verb: str
) -> None:
    request = requested_by_sdr(dash, dash.account(role=Role.SDR))
    await dash.login(dash.account(role=Role.MANAGER))
    before = snapshot(dash, request.id or 0)
    real = await dash.token()
    for token in (None, "", "forged", real[:-1]):
        response = await decide(dash, request.id or 0, verb, comment="why not", token=token)
        assert response.status_code == 403
        assert "Form rejected" in text(response.text)
        assert "nothing was changed" in text(response.text)
    assert snapshot(dash, request.id or 0) == before
    assert decided_items(dash) == []


async def test_an_sdr_cannot_see_the_queue_nor_decide(dash: Dashboard) -> None:
    sdr = dash.account(role=Role.SDR, name="Sam Rivera")
    request = requested_by_sdr(dash, sdr)
    await dash.login(sdr)
    page = await dash.page("/dashboard/approvals")
    assert page.status_code == 403
    assert "only managers" in text(page.text)
    assert "Approvals" not in text(page.text)  # not in an SDR's navigation either

    lead_page = await dash.page(f"/dashboard/leads/{request.lead_id}")
    assert lead_page.status_code == 200
    assert "is waiting for a manager" in text(section(lead_page.text, "handoff"))
    assert "/dashboard/approvals/" not in lead_page.text  # no Approve / Reject for an SDR

    before = snapshot(dash, request.id or 0)
    for verb in ("approve", "reject"):
        response = await decide(dash, request.id or 0, verb, comment="mine now")
        assert response.status_code == 403
        assert "only managers" in text(response.text)
    assert snapshot(dash, request.id or 0) == before
    assert decided_items(dash) == []


async def test_logged_out_the_queue_asks_for_a_login(dash: Dashboard) -> None:
    page = await dash.page("/dashboard/approvals")
    assert page.status_code == 303
    assert page.headers["location"] == "/dashboard/login?next=%2Fdashboard%2Fapprovals"


# --- the lead's page -----------------------------------------------------------------------


async def test_a_manager_approves_from_the_lead_page_and_returns_to_it(dash: Dashboard) -> None:
    request = requested_by_sdr(dash, dash.account(role=Role.SDR), name="Lena Lead")
    boss = dash.account(role=Role.MANAGER, name="Morgan Lee")
    await dash.login(boss)
    page = await dash.page(f"/dashboard/leads/{request.lead_id}")
    handoff = section(page.text, "handoff")
    assert f'action="/dashboard/approvals/{request.id}/approve"' in handoff
    assert f'formaction="/dashboard/approvals/{request.id}/reject"' in handoff
    assert 'name="back" value="lead"' in handoff
    token = csrf_token(handoff)

    response = await decide(dash, request.id or 0, "approve", back="lead", token=token)
    assert response.headers["location"] == f"/dashboard/leads/{request.lead_id}?done={request.id}"
    page = await follow(dash, response)
    assert "You approved the handoff of Lena Lead; the lead is now SQL." in text(page.text)
    assert 'data-testid="stage">SQL<' in page.text
    assert 'id="handoff"' not in page.text  # nothing is pending any more
    assert snapshot(dash, request.id or 0).stage is Stage.SQL


# --- the first decision wins ---------------------------------------------------------------


async def test_a_second_decision_is_not_applied_and_the_manager_is_told(dash: Dashboard) -> None:
    request = requested_by_sdr(dash, dash.account(role=Role.SDR), name="Lena Lead")
    first = dash.account(role=Role.MANAGER, name="Mia Manager")
    second = dash.account(role=Role.MANAGER, name="Max Manager")
    with dash.runtime.session() as session:  # Mia decided first (in Slack, say)
        decide_handoff(
            session=session,
            request_id=request.id or 0,
            approve=True,
            user=first,
            comment="",
            rules=dash.runtime.rules,
        )
        session.commit()
    before = snapshot(dash, request.id or 0)
    await dash.login(second)

    for verb, back, page_path in (
        ("reject", None, "/dashboard/approvals"),
        ("approve", "lead", f"/dashboard/leads/{request.lead_id}"),
    ):
        response = await decide(dash, request.id or 0, verb, comment="too late", back=back)
        assert response.headers["location"] == f"{page_path}?late={request.id}"
        page = await follow(dash, response)
        told = text(page.text)
        assert re.search(
            r"The handoff of Lena Lead was already approved by Mia Manager at"
            r" \d{4}-\d\d-\d\d \d\d:\d\d UTC; your decision was not applied\.",
            told,
        ), told
        assert 'role="alert"' in page.text
    assert snapshot(dash, request.id or 0) == before
    assert len(decided_items(dash)) == 1

    # A link made up to claim the decision only repeats what the database says.
    made_up = await dash.page("/dashboard/approvals", done=str(request.id))
    assert "You approved" not in text(made_up.text)
    assert "already approved by Mia Manager" in text(made_up.text)
    pending = requested_by_sdr(dash, dash.account(role=Role.SDR))
    quiet = await dash.page("/dashboard/approvals", done=str(pending.id))
    assert 'data-testid="notice"' not in quiet.text


# --- the dashboard and Slack race ----------------------------------------------------------


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    fake.start()
    yield fake
    fake.stop()


@dataclass
class Both:
    """One Baton app with Slack (against the fake Slack) and the dashboard both on."""

    dash: Dashboard
    slack: SlackBaton


@pytest.fixture
async def both(database_url: str, fake_slack: FakeSlack) -> AsyncIterator[Both]:
    app: FastAPI = build_app(
        database_url,
        secret_key=SECRET_KEY,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=SECRET,
        slack_api_url=fake_slack.url,
        slack_approval_channel=APPROVAL_CHANNEL,
        slack_sdr_channel=SDR_CHANNEL,
        public_url="https://baton.example.com",
    )
    transport = httpx.ASGITransport(app=app)
    # Baton's public URL is https, so its cookies are Secure: talk to it over https.
    async with httpx.AsyncClient(transport=transport, base_url="https://baton.test") as client:
        yield Both(
            dash=Dashboard(app=app, client=client),
            slack=SlackBaton(app=app, client=client, slack=fake_slack),
        )
    app.state.runtime.engine.dispose()


def _decided_text(update_call: Any) -> str:
    return str(update_call.params["blocks"][-1]["text"]["text"])


async def test_a_dashboard_approval_updates_the_slack_card_and_tells_the_sdr_once(
    both: Both,
) -> None:
    dash, slack = both.dash, both.slack
    lead, request, card = await requested(slack)  # asked in Slack; the card is posted
    boss = dash.account(role=Role.MANAGER, name="Dee Dashboard")
    await dash.login(boss)
    await follow(dash, await decide(dash, request.id or 0, "approve"))
    assert slack.slack.of("chat.update") == []  # the outbox updates the card, not the page
    # A manager clicking the card's Approve afterwards is told, and nothing changes.
    await click(slack, "UBOSS", "handoff_approve", request.id, post=card)
    (note,) = await slack.slack.wait_for("chat.postEphemeral")
    assert note.params["user"] == "UBOSS"
    assert "already approved by" in note.params["text"]
    assert "your decision was not applied" in note.params["text"]
    assert len(outbox_items(slack, "handoff.decided")) == 1

    await slack.deliver()
    (updated,) = slack.slack.of("chat.update")
    assert (updated.params["channel"], updated.params["ts"]) == (card.channel, card.ts)
    assert "*Approved* by Dee Dashboard at" in _decided_text(updated)
    assert all(block["type"] != "actions" for block in updated.params["blocks"])
    confirmation, told = posted_to(slack, "USDR")
    assert "approved" in told.params["text"] and "Dee Dashboard" in told.params["text"]
    assert snapshot(dash, request.id or 0).stage is Stage.SQL


async def test_a_slack_rejection_first_leaves_the_dashboard_approval_unapplied(
    both: Both,
) -> None:
    dash, slack = both.dash, both.slack
    lead, request, card = await requested(slack)
    await dash.login(dash.account(role=Role.MANAGER, name="Dee Dashboard"))
    token = await dash.token("/dashboard/approvals")
    with dash.runtime.session() as session:
        boss = session.exec(select(User).where(User.slack_user_id == "UBOSS")).one()
        decide_handoff(
            session=session,
            request_id=request.id or 0,
            approve=False,
            user=boss,
            comment="not yet",
            rules=dash.runtime.rules,
        )
        session.commit()
    page = await follow(dash, await decide(dash, request.id or 0, "approve", token=token))
    assert "already rejected by Mia Manager" in text(page.text)
    assert "your decision was not applied" in text(page.text)
    await slack.deliver()
    (updated,) = slack.slack.of("chat.update")
    assert "*Rejected* by Mia Manager" in _decided_text(updated)
    assert len(posted_to(slack, "USDR")) == 2  # the confirmation and one decision
    assert snapshot(dash, request.id or 0).stage is Stage.SAL


async def test_the_dashboard_and_slack_approving_at_once_decide_once(both: Both) -> None:
    dash, slack = both.dash, both.slack
    lead, request, card = await requested(slack)
    boss = dash.account(role=Role.MANAGER, name="Dee Dashboard")
    await dash.login(boss)
    token = await dash.token("/dashboard/approvals")

    posted, _ = await asyncio.gather(
        decide(dash, request.id or 0, "approve", token=token),
        click(slack, "UBOSS", "handoff_approve", request.id, post=card),
    )
    assert posted.status_code == 303
    dashboard_won = posted.headers["location"] == f"/dashboard/approvals?done={request.id}"
    if dashboard_won:
        # Slack's listener lost: its manager is told, privately, on the card's channel.
        (note,) = await slack.slack.wait_for("chat.postEphemeral")
        assert note.params["user"] == "UBOSS" and note.params["channel"] == APPROVAL_CHANNEL
        assert "already approved by" in note.params["text"]
        assert "your decision was not applied" in note.params["text"]
        winner = "Dee Dashboard"
        page = await follow(dash, posted)
        assert "You approved the handoff" in text(page.text)
    else:
        assert posted.headers["location"] == f"/dashboard/approvals?late={request.id}"
        page = await follow(dash, posted)
        assert "already approved by Mia Manager" in text(page.text)
        assert "your decision was not applied" in text(page.text)
        winner = "Mia Manager"
    await until(lambda: stored_request(slack, request.id).status is HandoffStatus.APPROVED)
    stored = stored_request(slack, request.id)
    with dash.runtime.session() as session:
        decider = session.get(User, stored.decided_by_user_id)
        assert decider is not None and decider.name == winner

    await slack.deliver()
    if not dashboard_won:
        assert slack.slack.of("chat.postEphemeral") == []
    (updated,) = slack.slack.of("chat.update")
    assert (updated.params["channel"], updated.params["ts"]) == (card.channel, card.ts)
    assert f"*Approved* by {winner} at" in _decided_text(updated)
    assert len(posted_to(slack, "USDR")) == 2  # the confirmation and exactly one decision DM
    assert len(outbox_items(slack, "handoff.decided")) == 1
    assert [p.ts for p in card_posts(slack, request.id)] == [card.ts]
    to_sql = [m for m in moves_of(dash, lead.id or 0) if m.to_stage is Stage.SQL]
    assert len(to_sql) == 1
    assert snapshot(dash, request.id or 0).stage is Stage.SQL
