"""The App Home: an SDR's leads with next actions, a manager's approvals and funnel, kept fresh."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from dialogs.sdr_call import ask_for_handoff, log_call, parse_call
from qualification.lifecycle import Actor, MoveContext, StageEvent
from qualification.stages import HandoffStatus, Role, Stage
from storage.funnel import week_start
from storage.handoffs import decide_handoff
from storage.leads import move_stage
from storage.ledger import rescore_lead
from storage.models import HandoffRequest, Lead, StageChange, User
from tests.bot.slack.conftest import SlackBaton
from tests.bot.slack.signing import FORM, JSON, block_action, event_body, interaction_body, send
from tests.factories import make_lead, make_user

View = dict[str, Any]
SYSTEM = Actor.system("test")
FULL_CALL = {
    "budget": "about $30k a year",
    "need": "our reps spend hours on manual data entry",
    "authority": "I'm the VP of Sales and I sign off",
    "timeline": "next month",
}


def _home_opened(user: str, event_id: str) -> str:
    event = {"type": "app_home_opened", "user": user, "tab": "home", "event_ts": "1.1"}
    return event_body(event_id, event)


async def _open_home(baton: SlackBaton, user: str, event_id: str) -> View:
    before = len(_published(baton, user))
    assert (await send(baton.client, _home_opened(user, event_id), JSON)).status_code == 200
    await baton.slack.wait_for("views.publish", len(baton.slack.of("views.publish")) + 1)
    views = _published(baton, user)
    assert len(views) == before + 1
    return views[-1]


def _published(baton: SlackBaton, user: str) -> list[View]:
    return [
        c.params["view"] for c in baton.slack.of("views.publish") if c.params["user_id"] == user
    ]


def _texts(view: View) -> list[str]:
    """Every piece of text a person reads, block by block."""
    texts: list[str] = []
    for block in view["blocks"]:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts += [field["text"] for field in block.get("fields", [])]
        texts += [e["text"] for e in block.get("elements", []) if isinstance(e.get("text"), str)]
    return texts


def _lead_block(view: View, name: str) -> dict[str, Any]:
    (block,) = [
        b
        for b in view["blocks"]
        if b["type"] == "section" and "text" in b and f"*{name}*" in b["text"]["text"]
    ]
    return block


def _button(block: dict[str, Any]) -> tuple[str, str, str] | None:
    element = block.get("accessory")
    if element is None:
        return None
    return element["text"]["text"], element["action_id"], element["value"]


def _home_click(user: str, action_id: str, value: object) -> str:
    """A button clicked on the Home tab: no channel, no message, the view as container."""
    payload = block_action(user, action_id, str(value))
    del payload["channel"], payload["message"]
    payload["container"] = {"type": "view", "view_id": "VHOME"}
    payload["view"] = {"id": "VHOME", "type": "home", "blocks": []}
    return interaction_body(payload)


def _owned(session: Session, owner: User, *events: StageEvent, **fields: Any) -> Lead:
    lead = make_lead(session, **fields)
    lead.owner_id = owner.id
    session.add(lead)
    for event in events:
        move_stage(session=session, lead=lead, event=event, actor=SYSTEM, reason="test")
    session.commit()
    return lead


def _log_call(baton: SlackBaton, session: Session, lead: Lead, user: User, **inputs: str) -> None:
    rt = baton.runtime
    flow = rt.flows.default
    call = parse_call(flow=flow, rules=rt.rules, inputs=inputs, today=date.today())
    assert not call.errors
    log_call(
        session=session,
        lead_id=lead.id or 0,
        user=user,
        flow=flow,
        call=call,
        notes="",
        rules=rt.rules,
        now=datetime.now(UTC),
    )
    session.commit()


async def test_an_sdrs_home_shows_leads_by_stage_with_next_actions(baton: SlackBaton) -> None:
    rt = baton.runtime
    mql, sal = StageEvent.MARK_MQL, StageEvent.ACCEPT
    with rt.session() as session:
        sam = make_user(session, slack_user_id="USDR", name="Sam Sdr")
        mia = make_user(session, role=Role.MANAGER, name="Mia Manager")
        other = make_user(session, slack_user_id="UOTHER")
        fresh = _owned(session, sam, mql, name="Fresh Mql", company_name="Acme & Co")
        gaps = _owned(session, sam, mql, sal, name="Gappy Sal")
        _log_call(baton, session, gaps, sam, budget=FULL_CALL["budget"])
        ready = _owned(session, sam, mql, sal, name="Ready Sal")
        _log_call(baton, session, ready, sam, **FULL_CALL)
        waiting = _owned(session, sam, mql, sal, name="Waiting Sal")
        request, _ = ask_for_handoff(
            session=session, lead_id=waiting.id or 0, user=sam, rules=rt.rules
        )
        won = _owned(session, sam, mql, sal, name="Won Sql")
        won_request, _ = ask_for_handoff(
            session=session, lead_id=won.id or 0, user=sam, rules=rt.rules
        )
        session.commit()
        decide_handoff(
            session=session,
            request_id=won_request.id or 0,
            approve=True,
            user=mia,
            comment="",
            rules=rt.rules,
        )
        evil = _owned(session, sam, mql, name="<!channel> Evil & Co")
        _owned(session, other, mql, name="Someone Elses")
        hot = make_lead(session, name="Hot Unowned")
        cold = make_lead(
            session, name="Cold Unowned", industry="agriculture", employee_count=3, country="ZZ"
        )
        for lead in (hot, cold):
            rescore_lead(session=session, lead=lead, rules=rt.rules, now=datetime.now(UTC))
            if lead.stage is Stage.NEW:
                move_stage(session=session, lead=lead, event=mql, actor=SYSTEM, reason="test")
        session.commit()
        assert hot.score > cold.score

    view = await _open_home(baton, "USDR", "EvH1")
    texts = _texts(view)
    assert view["type"] == "home" and texts[0] == "Your leads"
    assert not any("Pending approvals" in t for t in texts)

    assert _button(_lead_block(view, "Fresh Mql")) == ("Qualify", "home_call_form", str(fresh.id))
    assert "Acme &amp; Co" in _lead_block(view, "Fresh Mql")["text"]["text"]
    gappy = _lead_block(view, "Gappy Sal")
    assert _button(gappy) == ("Log the call", "home_call_form", str(gaps.id))
    assert "missing authority, need, timeline" in gappy["text"]["text"]
    assert _button(_lead_block(view, "Ready Sal")) == (
        "Request handoff",
        "request_handoff",
        str(ready.id),
    )
    waits = _lead_block(view, "Waiting Sal")
    assert _button(waits) is None
    assert "Waiting for approval since <!date^" in waits["text"]["text"]
    assert f"^{int(request.created_at.timestamp())}^" in waits["text"]["text"]

    # SALs come first, then MQLs, each group headed by its stage and size.
    order = [t for t in texts if t.startswith(("*SAL*", "*MQL*", "*Recently", "Hot leads"))]
    assert len(order) == 4
    assert order[:2] == ["*SAL* · 3", "*MQL* · 2"] and order[3] == "Hot leads nobody owns"
    assert order[2].startswith("*Recently moved*") and "*Won Sql* → SQL" in order[2]
    sal_at = texts.index("*SAL* · 3")
    mql_at = texts.index("*MQL* · 2")
    assert all(
        sal_at < next(i for i, t in enumerate(texts) if f"*{name}*" in t) < mql_at
        for name in ("Gappy Sal", "Ready Sal", "Waiting Sal")
    )

    # Unowned MQLs, hottest first, with the hot-lead Claim button.
    claims = [
        _button(b) for b in view["blocks"] if (_button(b) or ("", "", ""))[1] == "hot_lead_claim"
    ]
    assert claims == [
        ("Claim", "hot_lead_claim", str(hot.id)),
        ("Claim", "hot_lead_claim", str(cold.id)),
    ]

    raw = json.dumps(view)
    assert "Someone Elses" not in raw
    assert "<!channel>" not in raw and "&lt;!channel&gt; Evil &amp; Co" in raw
    assert _button(_lead_block(view, "&lt;!channel&gt; Evil &amp; Co")) == (
        "Qualify",
        "home_call_form",
        str(evil.id),
    )


def _back_date(session: Session, lead: Lead, *moments: datetime) -> None:
    """Re-date the lead's audit rows, oldest first, to `moments`."""
    changes = session.exec(
        select(StageChange).where(StageChange.lead_id == lead.id).order_by(StageChange.id)
    ).all()
    assert len(changes) == len(moments)
    for change, at in zip(changes, moments, strict=True):
        change.at = at
        session.add(change)
    session.commit()


async def test_a_managers_home_shows_pending_approvals_and_the_weeks_funnel(
    baton: SlackBaton,
) -> None:
    rt = baton.runtime
    now = datetime.now(UTC)
    sunday = week_start(now) - timedelta(days=1)  # last week
    with rt.session() as session:
        sam = make_user(session, slack_user_id="USDR", name="Sam Sdr")
        make_user(session, slack_user_id="UBOSS", role=Role.MANAGER, name="Mia Manager")
        # Two requests this week (each lead: new → MQL → SAL now); the first waited 3 hours.
        first = make_lead(session, name="First Waiting", company_name="Old Co")
        older, _ = ask_for_handoff(session=session, lead_id=first.id or 0, user=sam, rules=rt.rules)
        older.created_at = now - timedelta(hours=3, minutes=5)
        session.add(older)
        session.commit()
        second = make_lead(session, name="Second Waiting")
        newer, _ = ask_for_handoff(
            session=session, lead_id=second.id or 0, user=sam, rules=rt.rules
        )
        session.commit()
        # Last week: MQL → SAL → SQL, two hours from SAL to SQL.
        done = make_lead(session, name="Done Last Week")
        for event in (StageEvent.MARK_MQL, StageEvent.ACCEPT, StageEvent.PROMOTE):
            move_stage(
                session=session,
                lead=done,
                event=event,
                actor=SYSTEM,
                reason="test",
                context=MoveContext(handoff_approved=True),
            )
        session.commit()
        _back_date(
            session,
            done,
            sunday + timedelta(hours=9),
            sunday + timedelta(hours=10),
            sunday + timedelta(hours=12),
        )
        # Two weeks ago: counted nowhere.
        ancient = make_lead(session, name="Ancient")
        move_stage(
            session=session, lead=ancient, event=StageEvent.MARK_MQL, actor=SYSTEM, reason="x"
        )
        session.commit()
        _back_date(session, ancient, sunday - timedelta(days=8))
        # This week: MQL, then back to nurture.
        nurtured = make_lead(session, name="Nurtured")
        for event in (StageEvent.MARK_MQL, StageEvent.RETURN_TO_NURTURE):
            move_stage(session=session, lead=nurtured, event=event, actor=SYSTEM, reason="x")
        session.commit()

    view = await _open_home(baton, "UBOSS", "EvH2")
    texts = _texts(view)
    assert texts[0] == "Pending approvals (2)"
    pending = [b for b in view["blocks"] if b["type"] == "actions"]
    assert [b["block_id"] for b in pending] == [f"handoff:{older.id}", f"handoff:{newer.id}"]
    assert [[(e["action_id"], e["value"]) for e in b["elements"]] for b in pending] == [
        [("handoff_approve", str(older.id)), ("handoff_reject", str(older.id))],
        [("handoff_approve", str(newer.id)), ("handoff_reject", str(newer.id))],
    ]
    card = _lead_block(view, "First Waiting")["text"]["text"]
    assert "Old Co" in card and f"score {first.score}" in card
    assert "Requested by <@USDR> · waiting 3 h" in card
    assert "waiting 0 min" in _lead_block(view, "Second Waiting")["text"]["text"]

    assert "This week's funnel" in texts
    funnel = next(b for b in view["blocks"] if "fields" in b)
    assert [f["text"] for f in funnel["fields"]] == [
        "*Entered MQL*\n3 (last week 1)",
        "*Entered SAL*\n2 (last week 1)",
        "*Entered SQL*\n0 (last week 1)",
        "*Entered nurture*\n1 (last week 0)",
        "*Entered disqualified*\n0 (last week 0)",
        "*SAL → SQL*\nnone decided (last week 100% of 1)",
        "*Median SAL → SQL*\n– (last week 2 h)",
    ]
    # The manager owns no leads: no "Your leads" section.
    assert "Your leads" not in texts


async def test_home_buttons_open_the_call_form_at_once(baton: SlackBaton) -> None:
    with baton.runtime.session() as session:
        make_user(session, slack_user_id="USDR")
        lead = make_lead(session, name="Dana Scully")
    await send(baton.client, _home_click("USDR", "home_call_form", lead.id), FORM)
    (opened,) = await baton.slack.wait_for("views.open")
    assert opened.params["trigger_id"] == "trigger-USDR"
    assert opened.params["view"]["callback_id"] == "qualify"
    assert opened.params["view"]["private_metadata"] == f'{{"lead_id":{lead.id}}}'
    assert "Dana Scully" in opened.params["view"]["blocks"][0]["text"]["text"]

    # A lead that no longer exists: told by DM (the Home tab has no channel), nothing opened.
    await send(baton.client, _home_click("USDR", "home_call_form", 99999), FORM)
    (told,) = await baton.slack.wait_for("chat.postMessage")
    assert told.params["channel"] == "USDR" and "no lead with id 99999" in told.params["text"]
    assert len(baton.slack.of("views.open")) == 1


async def test_the_home_is_republished_when_a_lead_moves(baton: SlackBaton) -> None:
    rt = baton.runtime
    with rt.session() as session:
        sam = make_user(session, slack_user_id="USDR")
        make_user(session, slack_user_id="UBOSS", role=Role.MANAGER)
        make_user(session, role=Role.MANAGER)  # no Slack account: nothing to publish
        gone = make_user(session, slack_user_id="UGONE", role=Role.MANAGER)
        gone.active = False
        session.add(gone)
        lead = _owned(session, sam, name="Moving Lead")
    await baton.deliver()
    assert baton.slack.of("views.publish") == []  # created, not moved

    with rt.session() as session:
        stored = session.get(Lead, lead.id)
        assert stored is not None
        move_stage(
            session=session, lead=stored, event=StageEvent.MARK_MQL, actor=SYSTEM, reason="x"
        )
        session.commit()
    await baton.deliver()
    # new → MQL touches no approval: only the owner's Home.
    assert [c.params["user_id"] for c in baton.slack.of("views.publish")] == ["USDR"]
    (view,) = _published(baton, "USDR")
    assert _button(_lead_block(view, "Moving Lead")) == ("Qualify", "home_call_form", str(lead.id))

    with rt.session() as session:
        ask_for_handoff(session=session, lead_id=lead.id or 0, user=sam, rules=rt.rules)
        session.commit()
    await baton.deliver()
    # MQL → SAL with a request: the owner's Home and the active managers' with a Slack account.
    # (The stage change and the request each refresh them; the last publish is what shows.)
    assert {c.params["user_id"] for c in baton.slack.of("views.publish")[1:]} == {"UBOSS", "USDR"}
    waits = _lead_block(_published(baton, "USDR")[-1], "Moving Lead")
    assert "Waiting for approval since" in waits["text"]["text"]
    board = _published(baton, "UBOSS")[-1]
    assert _texts(board)[0] == "Pending approvals (1)"


async def test_a_rejection_that_keeps_the_lead_in_sal_refreshes_the_homes(
    baton: SlackBaton,
) -> None:
    rt = baton.runtime
    with rt.session() as session:
        sam = make_user(session, slack_user_id="USDR")
        boss = make_user(session, slack_user_id="UBOSS", role=Role.MANAGER)
        lead = _owned(session, sam, name="Rejected Lead")
        request, _ = ask_for_handoff(
            session=session, lead_id=lead.id or 0, user=sam, rules=rt.rules
        )
        session.commit()
    await baton.deliver()
    published = len(baton.slack.of("views.publish"))
    with rt.session() as session:
        decide_handoff(
            session=session,
            request_id=request.id or 0,
            approve=False,
            user=boss,
            comment="needs a champion",
            rules=rt.rules,
        )
        session.commit()
    await baton.deliver()
    assert {c.params["user_id"] for c in baton.slack.of("views.publish")[published:]} == {
        "UBOSS",
        "USDR",
    }
    board = _published(baton, "UBOSS")[-1]
    assert _texts(board)[0] == "Pending approvals (0)"


async def test_approving_from_the_home_tab_moves_the_lead_and_refreshes_the_home(
    baton: SlackBaton,
) -> None:
    rt = baton.runtime
    with rt.session() as session:
        sam = make_user(session, slack_user_id="USDR")
        make_user(session, slack_user_id="UBOSS", role=Role.MANAGER, name="Mia Manager")
        lead = _owned(session, sam, name="Approve Me")
        request, _ = ask_for_handoff(
            session=session, lead_id=lead.id or 0, user=sam, rules=rt.rules
        )
        session.commit()
    await baton.deliver()
    before = len(_published(baton, "UBOSS"))

    await send(baton.client, _home_click("UBOSS", "handoff_approve", request.id), FORM)
    for _ in range(100):  # the listener runs after the ack
        with rt.session() as session:
            stored = session.get(HandoffRequest, request.id)
            if stored is not None and stored.status is not HandoffStatus.PENDING:
                break
        await asyncio.sleep(0.05)
    assert baton.slack.of("chat.postEphemeral") == []
    with rt.session() as session:
        stored = session.get(HandoffRequest, request.id)
        assert stored is not None and stored.status is HandoffStatus.APPROVED
        moved = session.get(Lead, lead.id)
        assert moved is not None and moved.stage is Stage.SQL

    await baton.deliver()
    board = _published(baton, "UBOSS")
    assert len(board) == before + 1
    assert _texts(board[-1])[0] == "Pending approvals (0)"
    assert "Nothing waiting." in _texts(board[-1])
    recent = _texts(_published(baton, "USDR")[-1])
    assert any("*Approve Me* → SQL" in t for t in recent)
