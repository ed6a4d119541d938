"""A person whose data is spread over every place Baton keeps it, seeded through real paths,
and a scan of the whole database for what must be gone after an erasure."""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, SQLModel, col

from bot.runtime import Runtime
from bot.widget.chat import open_chat, take_turn
from dialogs.sdr_call import log_call, parse_call
from qualification.stages import EventKind, GivenBy, Role
from storage.events import record_event
from storage.handoffs import decide_handoff, pending_handoff
from storage.hot_lead_view import record_hot_post
from storage.leads import find_lead_by_email, get_lead
from storage.models import Conversation, FollowUp, LiveChat
from storage.secrets import SecretBox, generate_key
from storage.slack_posts import HANDOFF, record_post
from storage.slack_threads import record_thread
from storage.webhooks import add_endpoint
from storage.widgets import create_widget
from tests.factories import make_lead, make_user

MARKER = "Qzvmarker"  # in every field, answer, message and event of the person
EMAIL = "qzvmarker.morgan@example.org"
SITE = "https://www.example.com"
_turns = itertools.count(1)

WIDGET_ANSWERS = {
    "name": f"Morgan {MARKER}",
    "email": EMAIL,
    "company": f"{MARKER} Analytics",
    "need": f"At {MARKER} our reps waste hours on manual data entry and leads go cold",
    "budget": "about $50k a year",
    "authority": "I'm the VP of Sales and I make the final decision",
    "decision_maker": "yes",
    "decision_maker_joins": "yes",
    "timeline": "next month",
    "team_size": "250",
    "current_tool": f"we use {MARKER}CRM",
}


@dataclass(frozen=True)
class Person:
    lead_id: int
    anonymous_lead_id: int  # the website visitor's lead, merged into lead_id
    colleague_id: int  # another lead whose answer quotes EMAIL
    request_id: int


def _widget_chat(rt: Runtime) -> int:
    """An anonymous visitor chats on the website, gives EMAIL (on file) and qualifies."""
    with rt.session() as session:
        widget = create_widget(
            session=session,
            flows=rt.flows,
            public_id="site",
            settings={"allowed_origins": [SITE]},
        )
        session.commit()
    view = open_chat(
        rt=rt,
        widget=widget,
        token=None,
        page_context={
            "url": f"{SITE}/pricing?ref={MARKER}",
            "referrer": f"https://search.example/?q={MARKER}",
            "title": f"Pricing for {MARKER}",
        },
    )
    with rt.session() as session:
        conversation = session.get(Conversation, view.prompt.conversation_id)
        assert conversation is not None
        anonymous_lead = conversation.lead_id
    prompt = view.prompt
    for _ in range(20):
        if prompt.done:
            break
        assert prompt.step_id in WIDGET_ANSWERS, prompt.step_id
        result = take_turn(
            rt=rt,
            widget=widget,
            token=view.token,
            turn_id=f"seed-{next(_turns)}",
            text=WIDGET_ANSWERS[prompt.step_id],
            expected_version=prompt.version,
        )
        assert result.conflict is None
        prompt = result.prompt
    assert prompt.done and prompt.outcome is not None
    return anonymous_lead


def seed_person(rt: Runtime) -> Person:
    """The person (EMAIL) known from a campaign, then a website chat (merged), behaviour events,
    an SDR's call notes and Slack thread, a rejected handoff, Slack cards, webhook deliveries,
    a live chat with a follow-up request, and a colleague who typed EMAIL into their own chat."""
    now = datetime.now(UTC)
    with rt.session() as session:
        manager = make_user(session, role=Role.MANAGER)
        sdr = make_user(session, role=Role.SDR, slack_user_id="U0SDR0001")
        add_endpoint(
            session=session,
            url="https://crm.example.com/hooks",
            events=["*"],
            box=SecretBox(generate_key()),
        )
        session.commit()
        lead = make_lead(
            session,
            email=EMAIL,
            name=f"Morgan {MARKER}",
            title="VP of Sales",
            company_name=f"{MARKER} Analytics",
            company_domain=f"{MARKER.lower()}.example",
            source_campaign="spring-webinar",
            source_channel="ads",
        )
        record_event(
            session=session,
            lead=lead,
            kind=EventKind.CONTENT_DOWNLOAD,
            occurred_at=now - timedelta(hours=2),
            rules=rt.rules,
            now=now,
            asset=f"{MARKER} buyer's guide",
            url=f"{SITE}/guide?who={MARKER}",
            idempotency_key=f"form-{MARKER}-1",
            properties={"form": f"{MARKER} download form", "utm": {"term": MARKER}},
        )
        session.commit()
    anonymous_lead = _widget_chat(rt)

    with rt.session() as session:
        found = find_lead_by_email(session=session, email=EMAIL)
        assert found is not None and found.id == lead.id
        lead_id = found.id
        request = pending_handoff(session=session, lead_id=lead_id)
        assert request is not None and request.id is not None
        request_id = request.id
        # The SDR's call notes (their answer supersedes the prospect's) and a Slack thread.
        call = parse_call(
            flow=rt.flows.default,
            rules=rt.rules,
            inputs={"need": f"Spoke with Morgan: {MARKER} loses deals to slow follow-up"},
            today=now.date(),
        )
        log_call(
            session=session,
            lead_id=lead_id,
            user=sdr,
            flow=rt.flows.default,
            call=call,
            notes=f"Call notes: {MARKER} wants a demo next week",
            rules=rt.rules,
            now=now,
        )
        record_hot_post(session=session, lead_id=lead_id, channel="C0SDRS", ts="1700000001.000100")
        record_post(
            session=session,
            subject=HANDOFF,
            subject_id=request_id,
            channel="C0MANAGERS",
            ts="1700000002.000200",
        )
        session.commit()
        rt.dialogs.start(
            session=session,
            lead=get_lead(session=session, lead_id=lead_id),
            channel="slack",
            given_by=GivenBy.SDR,
            user_id=sdr.id,
            apply_outcome=False,
            on_open=lambda tx, conversation: record_thread(
                session=tx,
                channel="D0SDR0001",
                thread_ts="1700000003.000300",
                conversation_id=conversation.id or 0,
                user_id=sdr.id or 0,
            ),
        )
        decide_handoff(
            session=session,
            request_id=request_id,
            approve=False,
            user=manager,
            comment=f"{MARKER} said the budget is frozen until Q3",
            rules=rt.rules,
        )
        session.commit()
    _live_chat(rt, lead_id, now)

    colleague_id = _colleague_quotes_email(rt)
    return Person(
        lead_id=lead_id,
        anonymous_lead_id=anonymous_lead,
        colleague_id=colleague_id,
        request_id=request_id,
    )


def _live_chat(rt: Runtime, lead_id: int, now: datetime) -> None:
    """The website chat was handed to an SDR live, and the person asked to be emailed later."""
    with rt.session() as session:
        web = session.execute(
            select(col(Conversation.id)).where(
                col(Conversation.lead_id) == lead_id, col(Conversation.channel) == "web"
            )
        ).scalar_one()
        chat = LiveChat(
            conversation_id=web,
            lead_id=lead_id,
            status="ended",
            answer_by=now,
            source_page=f"{SITE}/pricing?ref={MARKER}",
            end_reason="ended",
        )
        session.add(chat)
        session.flush()
        session.add(
            FollowUp(
                lead_id=lead_id,
                conversation_id=web,
                live_chat_id=chat.id,
                kind="email",
                cause="ended",
            )
        )
        session.commit()


def _colleague_quotes_email(rt: Runtime) -> int:
    """Another lead names the person in their own chat: only the address must go from it."""
    with rt.session() as session:
        colleague = make_lead(
            session,
            email="sam.colleague@example.net",
            name="Sam Colleague",
            company_name="Colleague Co",
        )
        prompt = rt.dialogs.start(
            session=session, lead=colleague, channel="web", given_by=GivenBy.PROSPECT
        )
        assert prompt.step_id == "need", prompt.step_id
        rt.dialogs.advance(
            session=session,
            conversation_id=prompt.conversation_id,
            text=f"Ask {EMAIL.upper()} about our data entry problem, she owns the process",
            turn_id=f"seed-{next(_turns)}",
            given_by=GivenBy.PROSPECT,
            expected_version=prompt.version,
        )
        assert colleague.id is not None
        return colleague.id


def traces(session: Session, *needles: str) -> list[str]:
    """Every value in every column of every table (SQLModel.metadata, so tables added later
    are scanned too) that contains one of the needles, ignoring case."""
    folded = [n.casefold() for n in needles]
    found: list[str] = []
    for table in SQLModel.metadata.sorted_tables:
        for row in session.execute(select(table)).mappings():
            for column, value in row.items():
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value, default=str)
                if any(n in text.casefold() for n in folded):
                    found.append(f"{table.name}.{column}: {text[:160]}")
    return found
