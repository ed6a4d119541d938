"""The lead page: contact, audit trail, answers, the score's ledger, behaviour, transcripts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from dialogs import live
from qualification.stages import EventKind, GivenBy, Role
from storage.events import record_event
from storage.leads import get_lead
from storage.live_chats import open_live_chat_of
from storage.models import Lead, User
from tests.bot.dashboard.conftest import Dashboard
from tests.bot.dashboard.pages import section, text
from tests.dialogs.helpers import desk_engine
from tests.factories import make_lead

HOSTILE = '<script>alert("pwned")</script>'
SDR_ANSWERS = [
    "Our reps waste hours on manual data entry and leads go cold",
    "about 50k a year",
    "I'm the VP of Sales and I sign off",
    "this quarter",
    "spreadsheets",
]


def _qualified_lead(dash: Dashboard, sdr: User) -> Lead:
    """An SDR qualifies the lead over Slack (it becomes SAL with a pending handoff), then the
    prospect chats on the website and types hostile text; a download adds behaviour points."""
    rt = dash.runtime
    with rt.session() as session:
        lead = make_lead(
            session,
            name="Dana Whitfield",
            company_name="Acme Robotics",
            company_domain="acme-robotics.example",
            industry="software",
            employee_count=250,
            country="US",
            source_channel="webinar",
        )
        prompt = rt.dialogs.start(
            session=session, lead=lead, channel="slack", given_by=GivenBy.SDR, user_id=sdr.id
        )
        for n, answer in enumerate(SDR_ANSWERS):
            prompt = rt.dialogs.advance(
                session=session,
                conversation_id=prompt.conversation_id,
                text=answer,
                turn_id=f"slack:{n}",
                given_by=GivenBy.SDR,
                user_id=sdr.id,
            )
        assert prompt.done
        lead = get_lead(session=session, lead_id=lead.id or 0)
        web = rt.dialogs.start(session=session, lead=lead, channel="web", given_by=GivenBy.PROSPECT)
        rt.dialogs.advance(
            session=session,
            conversation_id=web.conversation_id,
            text=f"Our CRM is a mess {HOSTILE}",
            turn_id="web:1",
            given_by=GivenBy.PROSPECT,
        )
        now = datetime.now(UTC)
        record_event(
            session=session,
            lead=get_lead(session=session, lead_id=lead.id or 0),
            kind=EventKind.CONTENT_DOWNLOAD,
            occurred_at=now - timedelta(hours=1),
            rules=rt.rules,
            now=now,
            asset='<img src=x onerror="alert(1)">',
        )
        session.commit()
        return get_lead(session=session, lead_id=lead.id or 0)


async def test_the_lead_page_tells_the_whole_story(dash: Dashboard) -> None:
    sdr = dash.account(role=Role.SDR, name="Sam Rivera")
    lead = _qualified_lead(dash, sdr)
    assert lead.stage.value == "sal"
    await dash.login(dash.account(role=Role.MANAGER, name="Morgan Lee"))

    page = await dash.page(f"/dashboard/leads/{lead.id}")
    assert page.status_code == 200
    html = page.text

    contact = text(section(html, "contact"))
    assert lead.email is not None and lead.email in contact
    assert "webinar" in contact
    company = text(section(html, "company"))
    assert "Acme Robotics" in company and "acme-robotics.example" in company
    assert "250" in company and "US" in company

    # Stage with its audit trail: who moved it, when, why.
    stages = text(section(html, "stages"))
    assert stages.startswith("Stage: SAL")
    assert "New → MQL" in stages and "MQL → SAL" in stages
    assert stages.count("Sam Rivera") == 2  # the SDR made both moves
    assert f"user:{sdr.email}" in stages
    assert "started a qualification chat (slack)" in stages
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC New → MQL", stages)

    # BANT: what was said, how it was parsed, who gave it.
    bant = text(section(html, "bant"))
    assert "about 50k a year" in bant
    assert "USD 50,000" in bant  # the parsed amount
    assert "currency: USD" not in bant and "currency USD" in bant  # the parsed value's fields
    assert "period year" in bant
    assert "Sam Rivera (sdr)" in bant
    assert "VP of Sales" in bant
    for dimension in ("Budget", "Authority", "Need", "Timeline"):
        assert dimension in bant

    # The score: every ledger entry, and they add up to the score.
    score = section(html, "score")
    points = [int(p) for p in re.findall(r'data-points="(-?\d+)"', score)]
    assert len(points) >= 5
    assert sum(points) == lead.score
    assert f"Score: {lead.score}" in text(score)
    assert "fit.industry" in score and "bant." in score and "behaviour." in score
    assert "differs from the ledger" not in text(score)

    # Behaviour timeline, with the asset's text escaped.
    behaviour = section(html, "behaviour")
    assert "content download" in text(behaviour)
    assert '<img src=x onerror="alert(1)">' not in behaviour
    assert "&lt;img src=x onerror=" in behaviour

    # Transcripts of the Slack chat (the SDR's and Baton's messages, in order) and the web chat.
    conversations = section(html, "conversations")
    assert conversations.count('<details class="transcript"') == 2
    slack, web = conversations.split('<details class="transcript"')[1:]
    assert "slack" in text(slack.split("</summary>")[0])
    assert "started" in text(slack) and "by Sam Rivera" in text(slack)
    said = [
        text(m)
        for m in re.findall(r'<li class="msg msg-(?:sdr|bot|prospect)">(.*?)</li>', slack, re.S)
    ]
    assert said[0].startswith("Baton")
    assert said[1].startswith("Sam Rivera") and SDR_ANSWERS[0] in said[1]
    sdr_lines = [line for line in said if line.startswith("Sam Rivera")]
    assert [SDR_ANSWERS[n] in sdr_lines[n] for n in range(5)] == [True] * 5
    assert "web" in text(web.split("</summary>")[0])
    assert "Dana Whitfield prospect" in text(web)

    # The pending handoff request.
    handoff = text(section(html, "handoff"))
    assert "waiting for a manager" in handoff
    assert "Requested by Sam Rivera" in handoff


async def test_prospect_typed_text_is_escaped_everywhere(dash: Dashboard) -> None:
    with dash.runtime.session() as session:
        lead = make_lead(session, name=HOSTILE, company_name=HOSTILE, title=HOSTILE)
        prompt = dash.runtime.dialogs.start(
            session=session, lead=lead, channel="web", given_by=GivenBy.PROSPECT
        )
        dash.runtime.dialogs.advance(
            session=session,
            conversation_id=prompt.conversation_id,
            text=HOSTILE,
            turn_id="web:1",
            given_by=GivenBy.PROSPECT,
        )
    await dash.login(dash.account())
    for path in (f"/dashboard/leads/{lead.id}", "/dashboard/leads"):
        page = await dash.page(path)
        assert page.status_code == 200
        assert "<script" not in page.text
        assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in page.text
    detail = (await dash.page(f"/dashboard/leads/{lead.id}")).text
    assert HOSTILE in text(section(detail, "bant"))  # shown as the text the prospect typed
    assert HOSTILE in text(section(detail, "conversations"))


async def test_a_lead_with_nothing_yet_has_a_plain_page(dash: Dashboard) -> None:
    with dash.runtime.session() as session:
        lead = make_lead(session, industry=None, employee_count=None, country=None)
    await dash.login(dash.account())
    page = await dash.page(f"/dashboard/leads/{lead.id}")
    assert page.status_code == 200
    assert "No answers yet." in text(section(page.text, "bant"))
    assert "No conversations yet." in text(section(page.text, "conversations"))
    assert 'id="handoff"' not in page.text
    assert "Not scored yet." in text(section(page.text, "score")) or lead.score == sum(
        int(p) for p in re.findall(r'data-points="(-?\d+)"', section(page.text, "score"))
    )


async def test_live_chats_follow_ups_and_the_sdrs_words_are_on_the_lead_page(
    dash: Dashboard,
) -> None:
    engine = desk_engine()
    sdr = dash.account(role=Role.SDR, name="Alex Doe")
    with dash.runtime.session() as session:
        lead = make_lead(session, name="Dana Whitfield", email="dana@acme.example")
        prompt = engine.start(session=session, lead=lead, channel="web", given_by=GivenBy.PROSPECT)
        cid = prompt.conversation_id
        engine.advance(
            session=session,
            conversation_id=cid,
            text="human",
            turn_id="w1",
            given_by=GivenBy.PROSPECT,
        )
        first = open_live_chat_of(session=session, conversation_id=cid)
        assert first is not None and first.id is not None
        session.rollback()
        late = first.answer_by + timedelta(seconds=1)
        assert live.expire_unanswered(session=session, engine=engine, now=late) == [first.id]
        live.request_follow_up(
            session=session, conversation_id=cid, kind="meeting", email=None, now=late
        )
        engine.advance(
            session=session,
            conversation_id=cid,
            text="talk to a human",
            turn_id="w2",
            given_by=GivenBy.PROSPECT,
        )
        second = open_live_chat_of(session=session, conversation_id=cid)
        assert second is not None and second.id is not None
        session.rollback()
        live.take_chat(session=session, live_chat_id=second.id, user=sdr, now=late)
        live.post_sdr_message(
            session=session,
            live_chat_id=second.id,
            user=sdr,
            text=f"Hi Dana {HOSTILE}",
            message_key="1",
            now=late,
        )
    await dash.login(dash.account(role=Role.MANAGER))
    html = (await dash.page(f"/dashboard/leads/{lead.id}")).text
    chats = text(section(html, "live-chats"))
    assert chats.startswith("Live chats missed")
    assert "nobody took it" in chats
    assert "Alex Doe" in chats and "open" in chats
    assert "a meeting (nobody took the chat" in chats
    transcript = section(html, "conversations")
    assert "Alex Doe" in text(transcript) and f"Hi Dana {HOSTILE}" in text(transcript)
    assert "<script>alert" not in html
    assert "from our team has joined the chat" in text(transcript)
