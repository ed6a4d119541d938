"""Events API messages: qualifying a lead step by step in a DM or a channel thread, and the
SDR's replies in a live chat's thread (bot.slack.live_replies), which go to the prospect.

`message` (DMs, channels, private channels) and `app_mention` events, and the choice buttons of
the questions they ask (kept here, with the conversation they answer).

A message is taken before Slack gets its 200 (the `take` listener middleware): its event id is
claimed and the turn (or the live chat message) applied in one short transaction on the ack
lane (bot.slack.lanes), so a 200 means the answer is stored, and a failure answers 500 so that
Slack retries. The event id claim commits only with the turn: a turn refused or rolled back
leaves the event unclaimed. One message delivered as two events (a mention) is applied once by
the claim of its key in `bot.slack.chat.plan`, a repeated turn by its turn id. The bot's reply
is queued in the outbox in the turn's transaction and posted after the 200, by the after-ack
lane (bot.slack.chat_replies). A stranger whose email an administrator added is linked first
(Slack is asked for their email, outside any transaction, within bot.slack.linking's timeout),
and their message is then applied the same way, before the 200: no message is acknowledged
before it is stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack import chat, chat_replies, live_replies
from bot.slack.chat import Incoming, Plan, Route, Taken
from bot.slack.chat_blocks import CHOICE_ACTION, answered, read_choice
from bot.slack.errors import UnknownSlackUser
from bot.slack.lanes import Lanes
from bot.slack.linking import ensure_linked
from qualification.errors import BatonError
from storage.slack_events import claim_slack_event

# The context key under which `take` hands the listener what is left to do after the ack.
TOOK = "baton_took"


@dataclass(frozen=True)
class Took:
    """A message taken before the ack, and what is left to do about it after."""

    message: Incoming
    event_id: str
    mention: bool
    taken: Taken


class _Linkable(Exception):
    """Raised in a message's transaction to roll it back: its author is unknown, but may be
    linked by email (which asks Slack, so it is done outside the transaction)."""


def register(app: AsyncApp, runtime: Runtime, lanes: Lanes) -> None:
    def act(session: Session, todo: Plan, message: Incoming) -> Taken:
        if todo.route is Route.START:
            return chat.start(
                session=session,
                runtime=runtime,
                slack_user_id=message.user,
                channel=message.channel,
                thread_ts=message.root,
                query=todo.query,
            )
        if todo.route is Route.ANSWER:
            assert todo.conversation_id is not None and todo.user_id is not None
            return chat.answer(
                session=session,
                runtime=runtime,
                conversation_id=todo.conversation_id,
                user_id=todo.user_id,
                text=message.text,
                turn_id=f"slack:{message.key}",
            )
        if todo.route is Route.HELP:
            return Taken(note=chat.help_post())
        if todo.route is Route.TAKEN:
            return Taken(note=chat.taken_post())
        return Taken()

    def live_reply(session: Session, live_chat_id: int, message: Incoming) -> Taken:
        """A reply in a live chat's thread goes to the prospect, or its author is told why not."""
        try:
            live_replies.send_reply(
                session=session,
                live_chat_id=live_chat_id,
                message=message,
                now=datetime.now(UTC),
            )
        except BatonError as error:
            return Taken(note=live_replies.not_sent(error), private=True)
        return Taken()

    def apply(session: Session, took: Took, *, link_first: bool = True) -> Taken:
        """Claim the event and apply the message, in one transaction (the engine commits).
        Raises _Linkable for a stranger while `link_first` and someone could be linked."""
        message = took.message
        if not claim_slack_event(session=session, event_id=took.event_id, kind="message"):
            return Taken()  # Slack's retry of a delivery already applied
        try:
            live_chat_id = live_replies.live_chat_at(session=session, message=message)
            if live_chat_id is not None:
                if took.mention:  # a mention also arrives as a `message` event, which sends it
                    return Taken()
                return live_reply(session, live_chat_id, message)
            return act(session, chat.plan(session=session, message=message), message)
        except UnknownSlackUser as error:
            if link_first and error.linkable:
                raise _Linkable from error
            return Taken(note=chat.refusal(error))
        except BatonError as error:
            return Taken(note=chat.refusal(error))

    async def take(
        body: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        next: Callable[[], Awaitable[None]],
    ) -> None:
        """Before the ack: store what the message says (linking a stranger first). A database
        failure raises, and bolt answers Slack 500 (a retry comes)."""
        event: dict[str, Any] = body.get("event") or {}
        mention = event.get("type") == "app_mention"
        message = chat.incoming(event, bot_user_id=context.bot_user_id, mention=mention)
        if message is not None and message.may_concern_us:
            event_id = str(body.get("event_id") or f"message:{message.key}")
            took = Took(message=message, event_id=event_id, mention=mention, taken=Taken())
            try:
                taken = await lanes.before_ack(lambda session: apply(session, took))
            except _Linkable:
                # Linked or not (Slack slow or failing means "not this time"), the message is
                # then applied, or refused with the reason, like any other.
                await ensure_linked(client, runtime, message.user)
                taken = await lanes.before_ack(
                    lambda session: apply(session, took, link_first=False)
                )
            context[TOOK] = replace(took, taken=taken)
        await next()

    async def follow_up(took: Took, client: AsyncWebClient) -> None:
        """After the ack: post the queued reply, or the note."""
        message, taken = took.message, took.taken
        if taken.reply is not None:
            await chat_replies.post_now(client, runtime, taken.reply)
        elif taken.note is not None and taken.private:
            await client.chat_postEphemeral(
                channel=message.channel,
                user=message.user,
                thread_ts=message.thread_ts,
                text=taken.note.text,
                blocks=taken.note.blocks,
            )
        elif taken.note is not None:
            await client.chat_postMessage(
                channel=message.channel,
                thread_ts=message.root,
                text=taken.note.text,
                blocks=taken.note.blocks,
            )

    async def after_taking(context: AsyncBoltContext, client: AsyncWebClient) -> None:
        took = context.get(TOOK)
        if not isinstance(took, Took):
            return

        async def reply() -> None:
            await follow_up(took, client)

        # An event's body names no user: a failure after the ack is told to the author here.
        author = {"user": {"id": took.message.user}, "channel": {"id": took.message.channel}}
        await lanes.after_ack(reply, body=author, client=client)

    @app.event("message", middleware=[take])
    async def on_message(context: AsyncBoltContext, client: AsyncWebClient) -> None:
        await after_taking(context, client)

    @app.event("app_mention", middleware=[take])
    async def on_mention(context: AsyncBoltContext, client: AsyncWebClient) -> None:
        await after_taking(context, client)

    @app.action(CHOICE_ACTION)
    async def on_choice(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """A choice button answers its question (only while the question is still current).
        The answer is committed before the ack, as a typed one is."""
        click = read_choice(str(action["value"]))
        slack_id = str(body["user"]["id"])
        channel = str((body.get("channel") or {}).get("id") or slack_id)
        turn_id = f"slack-action:{action.get('action_ts') or body.get('trigger_id')}"

        def work(session: Session) -> tuple[tuple[str, str], Taken]:
            who = chat.clicker(
                session=session, slack_user_id=slack_id, conversation_id=click.conversation_id
            )
            thread = (who.thread.channel, who.thread.thread_ts)  # read before the turn ends
            try:
                taken = chat.answer(
                    session=session,
                    runtime=runtime,
                    conversation_id=click.conversation_id,
                    user_id=who.user_id,
                    text=click.answer,
                    turn_id=turn_id,
                    expected_version=click.version,
                )
            except BatonError as error:
                taken = Taken(note=chat.refusal(error))
            return thread, taken

        try:
            thread, taken = await lanes.before_ack(work)
        except BatonError as error:
            await ack()
            note = chat.refusal(error)

            async def refuse() -> None:
                await client.chat_postEphemeral(channel=channel, user=slack_id, text=note.text)

            await lanes.after_ack(refuse, body=body, client=client)
            return
        await ack()

        async def show_answer() -> None:
            if taken.reply is not None:
                message = body.get("message") or {}
                if message.get("ts") and message.get("blocks"):
                    label = str((action.get("text") or {}).get("text") or click.answer)
                    await client.chat_update(
                        channel=channel,
                        ts=str(message["ts"]),
                        text=str(message.get("text") or label),
                        blocks=answered(message["blocks"], label),
                    )
                await chat_replies.post_now(client, runtime, taken.reply)
            elif taken.note is not None:
                await client.chat_postMessage(
                    channel=thread[0],
                    thread_ts=thread[1],
                    text=taken.note.text,
                    blocks=taken.note.blocks,
                )

        await lanes.after_ack(show_answer, body=body, client=client)
