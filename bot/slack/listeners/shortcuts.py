"""Shortcuts: "Log as call notes for a lead" on any message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack.blocks import modal, text_input
from bot.slack.inputs import input_value
from bot.slack.lanes import Lanes
from bot.slack.mrkdwn import safe
from bot.slack.notify import dm
from bot.slack.runner import in_transaction, slack_user
from dialogs.sdr_call import ParsedCall, log_call
from qualification.errors import BatonError, NotFound
from storage.lead_lookup import find_lead

SHORTCUT = "log_call_notes"
SUBMIT = "call_notes_submit"


def notes_modal(text: str) -> dict[str, Any]:
    blocks = [
        text_input("lead", "Lead (email or name)", optional=False),
        text_input("notes", "Notes", initial=text, multiline=True, optional=False),
    ]
    return modal(SUBMIT, "Call notes", blocks, submit="Attach", metadata={})


def register(app: AsyncApp, runtime: Runtime, lanes: Lanes) -> None:
    @app.shortcut(SHORTCUT)
    async def open_notes(
        ack: AsyncAck, body: dict[str, Any], shortcut: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Only for Baton users (a stranger is linked by email first, or refused before typing
        notes for nothing)."""
        await ack()
        slack_id = body["user"]["id"]
        text = str(shortcut.get("message", {}).get("text") or "")

        async def ask() -> None:
            await in_transaction(
                runtime, lambda session: slack_user(session, slack_id), read_only=True
            )
            await client.views_open(trigger_id=shortcut["trigger_id"], view=notes_modal(text))

        await lanes.after_ack(ask, body=body, client=client)

    @app.view(SUBMIT)
    async def attach(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Attach before the ack: a lead the text does not name is an error shown inline."""
        slack_id = body["user"]["id"]
        query = input_value(view, "lead")
        notes = input_value(view, "notes")
        now = datetime.now(UTC)

        def work(session: Session) -> str:
            user = slack_user(session, slack_id)
            lead = find_lead(session=session, query=query)
            if lead is None:
                raise NotFound(f"no single lead matches '{query}'")
            log_call(
                session=session,
                lead_id=lead.id or 0,
                user=user,
                flow=runtime.flows.default,
                call=ParsedCall(answers={}, errors={}),
                notes=notes,
                rules=runtime.rules,
                now=now,
            )
            return lead.name or lead.email or f"lead {lead.id}"

        try:
            name = await lanes.before_ack(work)
        except NotFound as error:
            await ack(response_action="errors", errors={"lead": str(error)})
            return
        except BatonError as error:
            await ack()
            await lanes.explain(error, body=body, client=client)
            return
        await ack()

        async def confirm() -> None:
            await dm(client, slack_id, f"Notes attached to {safe(name, 200)}.")

        await lanes.after_ack(confirm, body=body, client=client)
