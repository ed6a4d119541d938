"""Qualifying a lead step by step in a DM or a channel thread, on the dialog engine."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import col, select

from qualification.stages import Dimension, GivenBy, Stage
from storage.answers import current_answers
from storage.models import (
    BantAnswer,
    Conversation,
    HandoffRequest,
    Lead,
    Message,
    OutboxItem,
    SlackEvent,
    SlackThread,
    StageChange,
    User,
)
from storage.slack_threads import CHAT_REPLY
from tests.bot.slack.conftest import SlackBaton, listeners_done
from tests.bot.slack.fake_slack import Call
from tests.bot.slack.signing import (
    FORM,
    JSON,
    TEAM,
    event_body,
    interaction_body,
    send,
    text_value,
    view_submission,
)
from tests.factories import make_lead, make_user

DM = "D0SDR"
CHANNEL = "C0SALES"
_ids = itertools.count(1)

ANSWERS = {
    "need": "our reps spend hours on manual data entry",
    "budget": "about $30k a year",
    "authority": "I'm the VP of Sales and I sign off",
    "timeline": "next month",
}


def _ts() -> str:
    return f"1700001000.{next(_ids):06d}"


def message(
    user: str,
    text: str,
    *,
    thread_ts: str | None = None,
    channel: str = DM,
    channel_type: str = "im",
    **extra: Any,
) -> dict[str, Any]:
    """A `message` event as the Events API sends it (message.im / message.channels)."""
    ts = _ts()
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "channel_type": channel_type,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "client_msg_id": str(uuid.uuid4()),
        "team": TEAM["id"],
    }
    if thread_ts is not None:
        event.update(thread_ts=thread_ts, parent_user_id=user)
    event.update(extra)
    return event


def mention(user: str, text: str, *, channel: str = CHANNEL) -> dict[str, Any]:
    """An `app_mention` event: someone wrote `@Baton …` in a channel."""
    ts = _ts()
    return {
        "type": "app_mention",
        "channel": channel,
        "user": user,
        "text": f"<@UBOT> {text}",
        "ts": ts,
        "event_ts": ts,
        "client_msg_id": str(uuid.uuid4()),
        "team": TEAM["id"],
    }


async def deliver(baton: SlackBaton, event: dict[str, Any]) -> None:
    """One delivery of `event`, under a new event id."""
    body = event_body(f"Ev{next(_ids):08d}", event)
    response = await send(baton.client, body, JSON)
    assert response.status_code == 200


async def reply(baton: SlackBaton, count: int) -> Call:
    """Wait for Baton's `count`-th chat.postMessage and return it."""
    return (await baton.slack.wait_for("chat.postMessage", count))[count - 1]


async def click(baton: SlackBaton, user: str, post: Call, label: str, *, n: int) -> None:
    """Click the button labelled `label` on a message Baton posted (ts `n`)."""
    buttons = [
        element
        for block in post.params["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    (chosen,) = [b for b in buttons if b["text"]["text"] == label]
    ts = f"1700000000.{n:06d}"
    payload = {
        "type": "block_actions",
        "team": TEAM,
        "user": {"id": user, "username": "sam", "team_id": TEAM["id"]},
        "api_app_id": "A0001",
        "token": "legacy",
        "container": {
            "type": "message",
            "message_ts": ts,
            "channel_id": post.params["channel"],
            "is_ephemeral": False,
            "thread_ts": post.params.get("thread_ts"),
        },
        "trigger_id": f"trigger-{user}",
        "channel": {"id": post.params["channel"], "name": "directmessage"},
        "message": {
            "type": "message",
            "ts": ts,
            "thread_ts": post.params.get("thread_ts"),
            "text": post.params["text"],
            "bot_id": "BBOT",
            "blocks": post.params["blocks"],
        },
        "response_url": "https://hooks.slack.test/actions/9",
        "actions": [
            {
                "type": "button",
                "action_id": chosen["action_id"],
                "block_id": post.params["blocks"][-2]["block_id"],
                "text": chosen["text"],
                "value": chosen["value"],
                "action_ts": f"1700002000.{next(_ids):06d}",
            }
        ],
    }
    response = await send(baton.client, interaction_body(payload), FORM)
    assert response.status_code == 200


def texts(post: Call) -> str:
    """Every mrkdwn text of a posted message's blocks, one per line."""
    lines: list[str] = []
    for block in post.params["blocks"]:
        if block["type"] == "section":
            lines.append(block["text"]["text"])
        elif block["type"] == "context":
            lines += [element["text"] for element in block["elements"]]
    return "\n".join(lines)


def _lead(baton: SlackBaton, **overrides: Any) -> Lead:
    data: dict[str, Any] = {
        "name": "Dana Scully",
        "company_name": "Acme & Co",
        "title": "Head of Sales Operations",
        "industry": "software",
        "employee_count": 250,
        "country": "US",
    }
    data.update(overrides)
    with baton.runtime.session() as session:
        return make_lead(session, **data)


def _sdr(baton: SlackBaton, slack_id: str = "USDR") -> User:
    with baton.runtime.session() as session:
        return make_user(session, slack_user_id=slack_id, name="Sam Sdr")


async def _start(baton: SlackBaton, query: str) -> tuple[str, Call]:
    """The SDR DMs `qualify <query>`; returns the thread ts and Baton's first reply."""
    start = message("USDR", f"qualify {query}")
    await deliver(baton, start)
    first = await reply(baton, 1)
    return start["ts"], first


async def _walk(
    baton: SlackBaton, thread: str, answers: dict[str, str], posts: int
) -> tuple[Call, int]:
    """Answer each question of the thread's conversation from `answers` (by step id) until the
    flow ends; `posts` is how many messages Baton has posted so far. Returns the last one and
    the new count."""
    with baton.runtime.session() as session:
        link = session.exec(select(SlackThread).where(SlackThread.thread_ts == thread)).one()
    while True:
        with baton.runtime.session() as session:
            conversation = session.get(Conversation, link.conversation_id)
            assert conversation is not None
        if conversation.status != "active":
            return await reply(baton, posts), posts
        await deliver(baton, message("USDR", answers[conversation.state], thread_ts=thread))
        posts += 1
        await reply(baton, posts)


def _moves(baton: SlackBaton, lead_id: int | None) -> list[tuple[str, Stage, Stage, str]]:
    with baton.runtime.session() as session:
        rows = session.exec(
            select(StageChange).where(StageChange.lead_id == lead_id).order_by(col(StageChange.id))
        ).all()
        return [(m.event, m.from_stage, m.to_stage, m.actor) for m in rows]


# --- a whole flow ---------------------------------------------------------------------------


async def test_a_whole_bant_flow_by_dm_ends_like_the_qualify_form(baton: SlackBaton) -> None:
    sdr = _sdr(baton)
    lead = _lead(baton, email="dana@acme.io")
    twin = _lead(baton, email="dana.twin@acme.io", name="Dana Twin")

    # Slack links a typed email: the parser must see the address, not the markup.
    thread, first = await _start(baton, "<mailto:dana@acme.io|dana@acme.io>")
    assert first.params["channel"] == DM and first.params["thread_ts"] == thread
    assert "Qualifying *Dana Scully* at Acme &amp; Co" in texts(first)
    assert "main challenge" in texts(first)
    with baton.runtime.session() as session:
        link = session.exec(select(SlackThread)).one()
        assert (link.channel, link.thread_ts, link.user_id) == (DM, thread, sdr.id)
        conversation = session.get(Conversation, link.conversation_id)
        assert conversation is not None and conversation.lead_id == lead.id

    expected = {
        "need": "budget in mind",
        "budget": "your role",
        "authority": "When would you ideally",
        "timeline": "What do you use for this today?",
    }
    for n, (step, answer) in enumerate(ANSWERS.items(), start=2):
        await deliver(baton, message("USDR", answer, thread_ts=thread))
        post = await reply(baton, n)
        assert post.params["thread_ts"] == thread
        assert expected[step] in texts(post), texts(post)
        with baton.runtime.session() as session:  # committed before the reply went out
            stored = current_answers(session=session, lead_id=lead.id or 0)
            assert Dimension(step) in stored

    question = await reply(baton, 5)
    buttons = [b["text"]["text"] for b in question.params["blocks"][-2]["elements"]]
    assert buttons == ["Spreadsheets", "A CRM", "Another tool", "Nothing yet"]
    await click(baton, "USDR", question, "A CRM", n=5)
    done = await reply(baton, 6)
    assert done.params["thread_ts"] == thread and done.params["channel"] == DM
    assert done.params["text"].startswith("Call logged: recommendation ")
    actions = done.params["blocks"][-1]["elements"]
    assert [(b["action_id"], b["value"]) for b in actions] == [
        ("request_handoff", str(lead.id)),
        ("return_to_nurture", str(lead.id)),
    ]
    assert "Score breakdown" in texts(done)
    (update,) = await baton.slack.wait_for("chat.update")
    assert "Answered: *A CRM*" in str(update.params["blocks"])
    assert all(b["type"] != "actions" for b in update.params["blocks"])

    # The same answers through the /qualify form, for the twin lead.
    values = {f"step:{step}": text_value(answer) for step, answer in ANSWERS.items()}
    values["notes"] = text_value("")
    submit = view_submission("USDR", "qualify", values, {"lead_id": twin.id})
    assert (await send(baton.client, interaction_body(submit), FORM)).status_code == 200
    form_dm = await reply(baton, 7)
    assert form_dm.params["text"] == done.params["text"]

    with baton.runtime.session() as session:
        by_chat = session.get(Lead, lead.id)
        by_form = session.get(Lead, twin.id)
        assert by_chat is not None and by_form is not None
        assert by_chat.stage is by_form.stage is Stage.MQL  # recommended, not applied
        assert by_chat.score == by_form.score > 0
        assert session.exec(select(HandoffRequest)).all() == []
        chat_answers = current_answers(session=session, lead_id=lead.id or 0)
        form_answers = current_answers(session=session, lead_id=twin.id or 0)
        assert set(chat_answers) == set(Dimension)
        for dimension, answer in chat_answers.items():
            assert answer.given_by is GivenBy.SDR and answer.given_by_user_id == sdr.id
            assert answer.conversation_id == link.conversation_id
            twin_answer = form_answers[dimension]
            assert (answer.raw_text, answer.parsed, answer.status) == (
                twin_answer.raw_text,
                twin_answer.parsed,
                twin_answer.status,
            )
        finished = session.get(Conversation, link.conversation_id)
        assert finished is not None and finished.status == "completed"
        assert finished.outcome is not None and finished.outcome["applied"] is False
        assert finished.outcome["score"] == by_chat.score
    opening = [("mark_mql", Stage.NEW, Stage.MQL, f"user:{sdr.email}")]
    assert _moves(baton, lead.id) == _moves(baton, twin.id) == opening


async def test_a_weak_lead_ends_in_the_same_stage_by_chat_and_by_form(
    baton: SlackBaton,
) -> None:
    """Below the MQL threshold, so only the opening of the qualification moves the lead."""
    sdr = _sdr(baton)
    weak: dict[str, Any] = {
        "title": "Intern",
        "industry": "agriculture",
        "employee_count": 3,
        "country": "AQ",
    }
    lead = _lead(baton, email="weak@farm.io", **weak)
    twin = _lead(baton, email="weak.twin@farm.io", name="Weak Twin", **weak)
    bant = {
        "need": "just looking around",
        "budget": "no budget",
        "authority": "I'm an intern and my boss decides",
        "timeline": "not sure",
    }
    more = {"decision_maker": "the owner", "decision_maker_joins": "no", "current_tool": "none"}
    thread, _ = await _start(baton, "weak@farm.io")
    done, posts = await _walk(baton, thread, {**bant, **more}, posts=1)
    assert done.params["text"].startswith("Call logged: recommendation ")

    values = {f"step:{step}": text_value(answer) for step, answer in bant.items()}
    values["notes"] = text_value("")
    submit = view_submission("USDR", "qualify", values, {"lead_id": twin.id})
    assert (await send(baton.client, interaction_body(submit), FORM)).status_code == 200
    form_dm = await reply(baton, posts + 1)
    assert form_dm.params["channel"] == "USDR"
    assert form_dm.params["text"] == done.params["text"]

    with baton.runtime.session() as session:
        by_chat, by_form = session.get(Lead, lead.id), session.get(Lead, twin.id)
        assert by_chat is not None and by_form is not None
        assert by_chat.score == by_form.score < baton.runtime.rules.mql_threshold
        assert by_chat.stage is by_form.stage is Stage.MQL
    opening = [("mark_mql", Stage.NEW, Stage.MQL, f"user:{sdr.email}")]
    assert _moves(baton, lead.id) == _moves(baton, twin.id) == opening


# --- deliveries, clicks and who may answer ---------------------------------------------------


def _messages(baton: SlackBaton) -> list[tuple[str, str]]:
    with baton.runtime.session() as session:
        rows = session.exec(select(Message).order_by(col(Message.id))).all()
        return [(m.direction, m.text) for m in rows]


async def test_the_same_message_delivered_twice_is_applied_once(baton: SlackBaton) -> None:
    _sdr(baton)
    lead = _lead(baton)
    thread, _ = await _start(baton, "Dana Scully")
    answer = message("USDR", ANSWERS["need"], thread_ts=thread)
    await deliver(baton, answer)
    await reply(baton, 2)
    await deliver(baton, answer)  # Slack again, under a new event id
    await deliver(baton, {**answer, "channel_type": "im"})
    await deliver(baton, message("USDR", ANSWERS["budget"], thread_ts=thread))
    third = await reply(baton, 3)
    assert "your role" in texts(third)
    assert len(baton.slack.of("chat.postMessage")) == 3
    assert [m for m in _messages(baton) if m[0] == "in"] == [
        ("in", ANSWERS["need"]),
        ("in", ANSWERS["budget"]),
    ]
    with baton.runtime.session() as session:
        needs = session.exec(
            select(BantAnswer).where(
                BantAnswer.lead_id == lead.id, BantAnswer.dimension == Dimension.NEED
            )
        ).all()
        assert len(needs) == 1


async def test_an_unreadable_answer_gets_the_engines_reprompt(baton: SlackBaton) -> None:
    _sdr(baton)
    lead = _lead(baton)
    thread, _ = await _start(baton, "dana scully")
    await deliver(baton, message("USDR", ANSWERS["need"], thread_ts=thread))
    await reply(baton, 2)
    await deliver(baton, message("USDR", "purple monkeys", thread_ts=thread))
    retry = await reply(baton, 3)
    assert "couldn't read an amount" in texts(retry)
    with baton.runtime.session() as session:
        assert Dimension.BUDGET not in current_answers(session=session, lead_id=lead.id or 0)
    await deliver(
        baton, message("USDR", "&lt;$50k &amp; up to &lt;$60k per year", thread_ts=thread)
    )
    assert "your role" in texts(await reply(baton, 4))
    with baton.runtime.session() as session:
        budget = current_answers(session=session, lead_id=lead.id or 0)[Dimension.BUDGET]
        assert budget.raw_text == "<$50k & up to <$60k per year"


async def test_commands_work_as_typed(baton: SlackBaton) -> None:
    _sdr(baton)
    lead = _lead(baton)
    thread, _ = await _start(baton, "Dana Scully")
    await deliver(baton, message("USDR", ANSWERS["need"], thread_ts=thread))
    await reply(baton, 2)
    await deliver(baton, message("USDR", "back", thread_ts=thread))
    assert "main challenge" in texts(await reply(baton, 3))
    await deliver(baton, message("USDR", "skip", thread_ts=thread))
    skipped = await reply(baton, 4)
    assert "Skipped." in texts(skipped) and "budget in mind" in texts(skipped)
    with baton.runtime.session() as session:
        link = session.exec(select(SlackThread)).one()
        conversation = session.get(Conversation, link.conversation_id)
        assert conversation is not None and conversation.state == "budget"
        assert current_answers(session=session, lead_id=lead.id or 0)[Dimension.NEED]


async def test_a_stale_or_foreign_button_click_changes_nothing(baton: SlackBaton) -> None:
    _sdr(baton)
    _sdr(baton, "UOTHER")
    _lead(baton)
    thread, _ = await _start(baton, "Dana Scully")
    for n, answer in enumerate(ANSWERS.values(), start=2):
        await deliver(baton, message("USDR", answer, thread_ts=thread))
        await reply(baton, n)
    question = await reply(baton, 5)

    await click(baton, "UOTHER", question, "Spreadsheets", n=5)
    (refused,) = await baton.slack.wait_for("chat.postEphemeral")
    assert refused.params["user"] == "UOTHER"
    assert "Only the SDR who started this qualification" in refused.params["text"]

    await deliver(baton, message("USDR", "back", thread_ts=thread))  # the question moves on
    await reply(baton, 6)
    await click(baton, "USDR", question, "Spreadsheets", n=5)
    stale = await reply(baton, 7)
    assert stale.params["thread_ts"] == thread
    assert "was not applied" in stale.params["text"]
    assert baton.slack.of("chat.update") == []
    with baton.runtime.session() as session:
        conversation = session.exec(select(Conversation)).one()
        assert conversation.state == "timeline" and conversation.status == "active"


async def test_other_people_and_bots_in_the_thread_are_ignored(baton: SlackBaton) -> None:
    _sdr(baton)
    _sdr(baton, "UOTHER")
    _lead(baton)
    start = mention("USDR", "qualify Dana Scully")
    await deliver(baton, start)
    thread = start["ts"]
    await reply(baton, 1)
    in_channel: dict[str, Any] = {"channel": CHANNEL, "channel_type": "channel"}
    ignored = [
        message("UOTHER", "we have no budget", thread_ts=thread, **in_channel),
        message("USTRANGER", "lol", thread_ts=thread, **in_channel),
        message("UBOT", "a bot post", thread_ts=thread, bot_id="BBOT", **in_channel),
        message(
            "UZAP",
            "another app",
            thread_ts=thread,
            bot_id="BZAP",
            subtype="bot_message",
            **in_channel,
        ),
        {
            "type": "message",
            "subtype": "message_changed",
            "channel": CHANNEL,
            "channel_type": "channel",
            "ts": _ts(),
            "hidden": True,
            "message": {"type": "message", "user": "USDR", "text": "edited", "ts": thread},
        },
        message("USDR", "deleted", thread_ts=thread, subtype="message_deleted", **in_channel),
        message("USDR", "a top-level chat in the channel", **in_channel),
    ]
    for event in ignored:
        await deliver(baton, event)
    await deliver(baton, message("USDR", ANSWERS["need"], thread_ts=thread, **in_channel))
    second = await reply(baton, 2)
    assert "budget in mind" in texts(second)
    assert len(baton.slack.of("chat.postMessage")) == 2
    assert [m for m in _messages(baton) if m[0] == "in"] == [("in", ANSWERS["need"])]


# --- starting --------------------------------------------------------------------------------


async def test_a_mention_in_a_channel_starts_in_a_thread_under_it(baton: SlackBaton) -> None:
    sdr = _sdr(baton)
    lead = _lead(baton)
    start = mention("USDR", "qualify Dana Scully")
    # A mention arrives both as app_mention and as message.channels (other event ids).
    await deliver(baton, start)
    await deliver(
        baton,
        {**start, "type": "message", "channel_type": "channel", "event_ts": start["ts"]},
    )
    first = await reply(baton, 1)
    assert first.params["channel"] == CHANNEL and first.params["thread_ts"] == start["ts"]
    assert "main challenge" in texts(first)
    await deliver(
        baton,
        message(
            "USDR",
            f"<@UBOT> {ANSWERS['need']}",
            thread_ts=start["ts"],
            channel=CHANNEL,
            channel_type="channel",
        ),
    )
    assert "budget in mind" in texts(await reply(baton, 2))
    assert len(baton.slack.of("chat.postMessage")) == 2
    with baton.runtime.session() as session:
        link = session.exec(select(SlackThread)).one()
        assert (link.channel, link.thread_ts, link.user_id) == (CHANNEL, start["ts"], sdr.id)
        conversation = session.get(Conversation, link.conversation_id)
        assert conversation is not None
        assert conversation.lead_id == lead.id and conversation.channel == "slack"
        need = current_answers(session=session, lead_id=lead.id or 0)[Dimension.NEED]
        assert need.raw_text == ANSWERS["need"] and need.given_by is GivenBy.SDR


async def test_known_answers_are_shown_and_passed_over(baton: SlackBaton) -> None:
    _sdr(baton)
    lead = _lead(baton)
    thread, _ = await _start(baton, "Dana Scully")
    await deliver(baton, message("USDR", ANSWERS["need"], thread_ts=thread))
    await reply(baton, 2)
    again = message("USDR", "qualify Dana Scully")
    await deliver(baton, again)
    second = await reply(baton, 3)
    assert second.params["thread_ts"] == again["ts"]
    assert "Already on file" in texts(second) and "*Need*" in texts(second)
    assert "budget in mind" in texts(second) and "main challenge" not in texts(second)
    with baton.runtime.session() as session:
        assert len(session.exec(select(SlackThread)).all()) == 2
        assert current_answers(session=session, lead_id=lead.id or 0)[Dimension.NEED]


async def test_an_unknown_or_ambiguous_lead_is_explained(baton: SlackBaton) -> None:
    _sdr(baton)
    _lead(baton, name="Dana Scully")
    _lead(baton, name="Dana Scullyson")
    await deliver(baton, message("USDR", "qualify <mailto:nobody@nowhere.io|nobody@nowhere.io>"))
    first = await reply(baton, 1)
    assert "No single lead matches *nobody@nowhere.io*" in first.params["text"]
    assert "/qualify nobody@nowhere.io" in first.params["text"]
    await deliver(baton, message("USDR", "qualify dana scul"))
    assert "No single lead matches *dana scul*" in (await reply(baton, 2)).params["text"]
    await deliver(baton, message("USDR", "hello there"))
    assert "write `qualify`" in (await reply(baton, 3)).params["text"]
    with baton.runtime.session() as session:
        assert session.exec(select(Conversation)).all() == []
        assert session.exec(select(SlackThread)).all() == []


async def test_an_unknown_slack_user_is_told_how_to_be_added(baton: SlackBaton) -> None:
    lead = _lead(baton)
    start = message("UNOBODY", "qualify Dana Scully")
    await deliver(baton, start)
    told = await reply(baton, 1)
    assert told.params["thread_ts"] == start["ts"]
    assert "baton user add YOUR_EMAIL --role sdr --slack-id UNOBODY" in told.params["text"]
    buttons = [
        b
        for block in told.params["blocks"]
        if block["type"] == "actions"
        for b in block["elements"]
    ]
    assert [b["action_id"] for b in buttons] == ["access_request"]
    with baton.runtime.session() as session:
        assert session.exec(select(Conversation)).all() == []
        stored = session.get(Lead, lead.id)
        assert stored is not None and stored.stage is Stage.NEW


# --- acknowledged means stored ----------------------------------------------------------------


def _fail_message_writes(baton: SlackBaton, *, on: bool) -> None:
    """Make the database refuse every new message row (as a full disk would), or stop."""
    postgres = baton.runtime.engine.dialect.name == "postgresql"
    if on and postgres:
        statements = [
            "CREATE FUNCTION refuse_messages() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'no space left on device'; END $$",
            "CREATE TRIGGER refuse_messages BEFORE INSERT ON messages"
            " FOR EACH ROW EXECUTE FUNCTION refuse_messages()",
        ]
    elif on:
        statements = [
            "CREATE TRIGGER refuse_messages BEFORE INSERT ON messages"
            " BEGIN SELECT RAISE(ABORT, 'no space left on device'); END"
        ]
    else:
        statements = ["DROP TRIGGER refuse_messages" + (" ON messages" if postgres else "")]
        statements += ["DROP FUNCTION refuse_messages()"] if postgres else []
    with baton.runtime.engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)


async def test_an_answer_the_database_refuses_is_not_acknowledged_and_the_retry_applies(
    baton: SlackBaton,
) -> None:
    """Slack gets its 200 only once the answer is stored: a failed write answers 500, claims
    nothing, queues nothing, and Slack's retry of the same event is applied (once)."""
    _sdr(baton)
    lead = _lead(baton)
    thread, _ = await _start(baton, "Dana Scully")
    event = message("USDR", ANSWERS["need"], thread_ts=thread)
    body = event_body("EvRefusedWrite", event)

    _fail_message_writes(baton, on=True)
    try:
        refused = await send(baton.client, body, JSON)
    finally:
        _fail_message_writes(baton, on=False)
    assert refused.status_code == 500
    with baton.runtime.session() as session:
        claimed = session.exec(select(SlackEvent.event_id)).all()
        assert "EvRefusedWrite" not in claimed
        replies = session.exec(select(OutboxItem).where(OutboxItem.topic == CHAT_REPLY)).all()
        assert len(replies) == 1  # the opening question's, nothing for the refused answer
    assert [m for m in _messages(baton) if m[0] == "in"] == []

    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
    assert (await send(baton.client, body, JSON, headers=retry)).status_code == 200
    second = await reply(baton, 2)
    assert second.params["thread_ts"] == thread and "budget in mind" in texts(second)
    assert (await send(baton.client, body, JSON, headers=retry)).status_code == 200
    assert [m for m in _messages(baton) if m[0] == "in"] == [("in", ANSWERS["need"])]
    await listeners_done()  # the reply's post is recorded after the ack
    with baton.runtime.session() as session:
        claimed = session.exec(select(SlackEvent.event_id)).all()
        assert claimed.count("EvRefusedWrite") == 1
        assert Dimension.NEED in current_answers(session=session, lead_id=lead.id or 0)
        replies = session.exec(
            select(OutboxItem).where(OutboxItem.topic == CHAT_REPLY).order_by(col(OutboxItem.id))
        ).all()
        assert [item.status for item in replies] == ["done", "done"]  # posted after the ack
    assert len(baton.slack.of("chat.postMessage")) == 2


async def test_a_reply_slack_refused_is_posted_by_the_outbox_once(baton: SlackBaton) -> None:
    """The answer is stored before the 200; its reply, refused by Slack right after, waits in
    the outbox and is posted once, however often the worker delivers it."""
    _sdr(baton)
    _lead(baton)
    thread, _ = await _start(baton, "Dana Scully")
    baton.slack.fail_next("chat.postMessage", status=500)
    await deliver(baton, message("USDR", ANSWERS["need"], thread_ts=thread))
    await baton.slack.wait_for("chat.postMessage", 2)
    await listeners_done()
    with baton.runtime.session() as session:
        (item,) = session.exec(
            select(OutboxItem).where(OutboxItem.topic == CHAT_REPLY).order_by(col(OutboxItem.id))
        ).all()[1:]
        assert item.status == "pending"
    await baton.deliver()  # the listener's grace has not run out: not yet
    assert len(baton.slack.of("chat.postMessage")) == 2
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert await baton.deliver(now=later) >= 1
    posted = await reply(baton, 3)
    assert posted.params["thread_ts"] == thread and "budget in mind" in texts(posted)
    with baton.runtime.session() as session:
        again = session.get(OutboxItem, item.id)
        assert again is not None and again.status == "done"
        again.status = "pending"  # delivered once more, as after a worker's crash
        session.add(again)
        session.commit()
    await baton.deliver(now=later)
    assert [c.ok for c in baton.slack.of("chat.postMessage")] == [True, False, True]
