"""Events API messages: qualifying a lead step by step in a DM or a channel thread, and the
SDR's replies in a live chat's thread (bot.slack.live_replies), which go to the prospect.

`message` (DMs, channels, private channels) and `app_mention` events, and the choice buttons of
the questions they ask (kept here, with the conversation they answer). Retried deliveries of
one event are dropped by the app's middleware; one message delivered as two events by the
claim in `bot.slack.chat.plan`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack import chat, live_replies
from bot.slack.chat import Incoming, Plan, Route
from bot.slack.chat_blocks import CHOICE_ACTION, ThreadPost, answered, read_choice
from bot.slack.runner import in_transaction
from qualification.errors import BatonError


def register(app: AsyncApp, runtime: Runtime) -> None:
    def act(session: Session, todo: Plan, message: Incoming) -> ThreadPost | None:
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
            return chat.help_post()
        if todo.route is Route.TAKEN:
            return chat.taken_post()
        return None

    def route(session: Session, message: Incoming) -> Plan | int:
        """The id of the live chat whose thread `message` is in, or what to do with it."""
        live_chat_id = live_replies.live_chat_at(session=session, message=message)
        if live_chat_id is not None:
            return live_chat_id
        return chat.plan(session=session, message=message)

    async def live_reply(live_chat_id: int, message: Incoming, client: AsyncWebClient) -> None:
        """A reply in a live chat's thread goes to the prospect, or its author is told why not."""
        now = datetime.now(UTC)
        try:
            await in_transaction(
                runtime,
                lambda session: live_replies.send_reply(
                    session=session, live_chat_id=live_chat_id, message=message, now=now
                ),
            )
        except BatonError as error:
            refused = live_replies.not_sent(error)
            await client.chat_postEphemeral(
                channel=message.channel,
                user=message.user,
                thread_ts=message.thread_ts,
                text=refused.text,
                blocks=refused.blocks,
            )

    async def converse(
        event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient, *, mention: bool
    ) -> None:
        message = chat.incoming(event, bot_user_id=context.bot_user_id, mention=mention)
        if message is None or not message.may_concern_us:
            return
        try:
            todo = await in_transaction(runtime, lambda session: route(session, message))
            if isinstance(todo, int):
                if not mention:  # a mention also arrives as a `message` event, which sends it
                    await live_reply(todo, message, client)
                return
            if todo.route is Route.IGNORE:
                return
            post = await in_transaction(runtime, lambda session: act(session, todo, message))
        except BatonError as error:
            post = chat.refusal(error)
        if post is not None:
            await client.chat_postMessage(
                channel=message.channel, thread_ts=message.root, text=post.text, blocks=post.blocks
            )

    @app.event("message")
    async def on_message(
        event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        await converse(event, context, client, mention=False)

    @app.event("app_mention")
    async def on_mention(
        event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        await converse(event, context, client, mention=True)

    @app.action(CHOICE_ACTION)
    async def on_choice(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """A choice button answers its question (only while the question is still current)."""
        await ack()
        click = read_choice(str(action["value"]))
        slack_id = str(body["user"]["id"])
        channel = str((body.get("channel") or {}).get("id") or slack_id)
        try:
            who = await in_transaction(
                runtime,
                lambda session: chat.clicker(
                    session=session, slack_user_id=slack_id, conversation_id=click.conversation_id
                ),
            )
        except BatonError as error:
            await client.chat_postEphemeral(
                channel=channel, user=slack_id, text=chat.refusal(error).text
            )
            return
        try:
            post = await in_transaction(
                runtime,
                lambda session: chat.answer(
                    session=session,
                    runtime=runtime,
                    conversation_id=click.conversation_id,
                    user_id=who.user_id,
                    text=click.answer,
                    turn_id=f"slack-action:{action.get('action_ts') or body.get('trigger_id')}",
                    expected_version=click.version,
                ),
            )
        except BatonError as error:
            post = chat.refusal(error)
        else:
            message = body.get("message") or {}
            if message.get("ts") and message.get("blocks"):
                label = str((action.get("text") or {}).get("text") or click.answer)
                await client.chat_update(
                    channel=channel,
                    ts=str(message["ts"]),
                    text=str(message.get("text") or label),
                    blocks=answered(message["blocks"], label),
                )
        await client.chat_postMessage(
            channel=who.thread.channel,
            thread_ts=who.thread.thread_ts,
            text=post.text,
            blocks=post.blocks,
        )
