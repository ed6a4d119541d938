"""The modals /qualify opens, filled from what Baton already knows about the lead."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.runtime import Runtime
from bot.slack.blocks import Known, create_lead_modal, qualify_modal
from bot.slack.mrkdwn import safe
from bot.slack.runner import slack_user
from dialogs.flow import Step
from dialogs.sdr_call import call_steps, prefill, user_actor
from dialogs.templates import lead_context
from storage.lead_lookup import find_lead
from storage.leads import create_lead
from storage.models import BantAnswer, Lead, LeadCreate

View = dict[str, Any]


def _known(step: Step, answer: BantAnswer | None) -> Known | None:
    if answer is None:
        return None
    value = answer.parsed.get("value")
    if isinstance(value, bool):
        value = "yes" if value else "no"
    return Known(
        raw_text=answer.raw_text,
        given_by=answer.given_by.value,
        value=value if isinstance(value, str) and step.quick_replies else None,
    )


def lead_form(*, session: Session, runtime: Runtime, lead: Lead) -> View:
    """The call form for `lead` with its current answers."""
    flow = runtime.flows.default
    answers = prefill(session=session, lead_id=lead.id or 0)
    data = lead_context(lead)
    steps = [
        (
            step,
            flow.render(f"steps.{step.id}.question", step.question, lead=data, answers={}),
            _known(step, answers.get(step.dimension.value if step.dimension else "")),
        )
        for step in call_steps(flow)
    ]
    heading = f"*{safe(lead.name or lead.email or 'Unnamed lead', 200)}*"
    if lead.company_name:
        heading += f" at {safe(lead.company_name, 200)}"
    heading += f" · stage {lead.stage.value} · score {lead.score}"
    return qualify_modal(lead_id=lead.id or 0, heading=heading, steps=steps)


def qualify_form(*, session: Session, runtime: Runtime, slack_user_id: str, query: str) -> View:
    """The call form of the lead matching `query`, or a form to add that lead."""
    slack_user(session, slack_user_id)
    lead = find_lead(session=session, query=query)
    if lead is not None:
        return lead_form(session=session, runtime=runtime, lead=lead)
    email = query.strip() if "@" in query else None
    name = query.strip() if query.strip() and email is None else None
    return create_lead_modal(email=email, name=name)


def create_lead_form(
    *, session: Session, runtime: Runtime, slack_user_id: str, email: str, name: str, company: str
) -> View:
    """Add the lead (raises AlreadyExists / InvalidInput) and return its call form."""
    user = slack_user(session, slack_user_id)
    lead = create_lead(
        session=session,
        data=LeadCreate(email=email, name=name, company_name=company, source_channel="slack"),
        actor=user_actor(user),
    )
    return lead_form(session=session, runtime=runtime, lead=lead)
