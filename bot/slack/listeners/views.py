"""Modal submissions: the call form, a new lead, a rejection comment, a nurture reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack.blocks import (
    CREATE_LEAD,
    NOTES,
    NURTURE,
    QUALIFY,
    REJECT,
    STEP_PREFIX,
    recommendation_blocks,
)
from bot.slack.forms import View, create_lead_form
from bot.slack.home_updates import refresh_quietly
from bot.slack.inputs import input_value, metadata, step_inputs
from bot.slack.lanes import Lanes
from bot.slack.mrkdwn import safe
from bot.slack.notify import dm
from bot.slack.runner import in_transaction, slack_user
from dialogs.prompt import Outcome
from dialogs.sdr_call import log_call, parse_call, return_to_nurture
from qualification.errors import AlreadyExists, BatonError
from qualification.parsers.basic import parse_email
from qualification.parsers.result import ParseStatus
from storage.handoffs import decide_handoff
from storage.leads import get_lead
from storage.slack_posts import HANDOFF, record_post


def register(app: AsyncApp, runtime: Runtime, lanes: Lanes) -> None:
    @app.view(QUALIFY)
    async def log(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Validate with the flow's parsers (errors shown inline), then store and recommend."""
        now = datetime.now(UTC)
        flow = runtime.flows.default
        call = parse_call(
            flow=flow, rules=runtime.rules, inputs=step_inputs(view), today=now.date()
        )
        if call.errors:
            errors = {STEP_PREFIX + step_id: text for step_id, text in call.errors.items()}
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        slack_id = body["user"]["id"]
        lead_id = int(metadata(view)["lead_id"])
        notes = input_value(view, NOTES)

        def work(session: Session) -> tuple[str, Outcome]:
            user = slack_user(session, slack_id)
            outcome = log_call(
                session=session,
                lead_id=lead_id,
                user=user,
                flow=flow,
                call=call,
                notes=notes,
                rules=runtime.rules,
                now=now,
            )
            lead = get_lead(session=session, lead_id=lead_id)
            return lead.name or lead.email or f"lead {lead_id}", outcome

        async def store() -> None:
            name, outcome = await in_transaction(runtime, work)
            blocks = recommendation_blocks(lead_id=lead_id, lead_name=name, outcome=outcome)
            text = f"Call logged: recommendation {outcome.action.value}"
            await dm(client, slack_id, text, blocks)
            # The answers change the lead's next step on the Homes that show it.
            await refresh_quietly(client, runtime, lead_id=lead_id, approvals=False)

        await lanes.after_ack(store, body=body, client=client)

    @app.view(CREATE_LEAD)
    async def create(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Add the lead, then replace this modal by its call form: the new form is the answer
        to the submission, so this one work is done before the ack."""
        email = parse_email(input_value(view, "email"))
        if email.status is not ParseStatus.OK or not isinstance(email.value, str):
            await ack(response_action="errors", errors={"email": email.summary})
            return
        address = email.value

        def work(session: Session) -> View:
            return create_lead_form(
                session=session,
                runtime=runtime,
                slack_user_id=body["user"]["id"],
                email=address,
                name=input_value(view, "name"),
                company=input_value(view, "company"),
            )

        try:
            form = await lanes.before_ack(work)
        except AlreadyExists as error:
            await ack(response_action="errors", errors={"email": str(error)})
            return
        except BatonError as error:
            await ack()
            await lanes.explain(error, body=body, client=client)
            return
        await ack(response_action="update", view=form)

    @app.view(REJECT)
    async def reject(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """Reject with the comment; the outbox then updates the cards and tells the SDR."""
        await ack()
        data = metadata(view)
        request_id = int(data["request_id"])
        comment = input_value(view, "comment")
        channel, ts = str(data.get("channel") or ""), str(data.get("ts") or "")

        def work(session: Session) -> None:
            decide_handoff(
                session=session,
                request_id=request_id,
                approve=False,
                user=slack_user(session, body["user"]["id"]),
                comment=comment,
                rules=runtime.rules,
            )
            if channel and ts:  # so this card is updated even if it was never recorded
                record_post(
                    session=session, subject=HANDOFF, subject_id=request_id, channel=channel, ts=ts
                )

        async def decide() -> None:
            await in_transaction(runtime, work)

        await lanes.after_ack(decide, body=body, client=client)

    @app.view(NURTURE)
    async def nurture(
        ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        slack_id = body["user"]["id"]
        lead_id = int(metadata(view)["lead_id"])
        reason = input_value(view, "reason")

        def work(session: Session) -> str:
            lead = return_to_nurture(
                session=session,
                lead_id=lead_id,
                user=slack_user(session, slack_id),
                reason=reason,
            )
            return lead.name or lead.email or f"lead {lead_id}"

        async def move() -> None:
            name = await in_transaction(runtime, work)
            await dm(client, slack_id, f"{safe(name, 200)} is back with marketing (nurture).")

        await lanes.after_ack(move, body=body, client=client)
