"""`baton chat`: run a qualification flow in the terminal, interactively or from a script.

Each line read from standard input is one answer. With a pipe, the chat is fully
scriptable: `printf 'Jane\\njane@acme.com\\n…' | baton chat`.

As a prospect's chat (the default), the flow's outcome is applied when it ends, as in the web
widget. As an SDR's call (`--sdr EMAIL`), the flow only recommends, as in Slack: one more line
decides (`handoff`, `nurture REASON`, or nothing to leave the lead where it is).
"""

from __future__ import annotations

import sys
import uuid
from typing import TextIO

import typer

from bot.cli.render import render_explain, render_prompt
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from dialogs.prompt import Outcome, Prompt
from dialogs.sdr_call import ask_for_handoff, return_to_nurture
from qualification.errors import (
    BatonError,
    ConcurrentTurn,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from qualification.lifecycle import Actor
from qualification.stages import GivenBy
from storage.lead_report import lead_report
from storage.leads import create_lead, upsert_lead
from storage.models import Conversation, LeadCreate, User
from storage.users import get_user_by_email

DECIDE = "decide (handoff | nurture REASON | leave)"


def _read_answer(stream: TextIO, interactive: bool) -> str | None:
    if interactive:
        try:
            return input("you> ")
        except EOFError:
            return None
    line = stream.readline()
    if not line:
        return None
    answer = line.rstrip("\n")
    typer.echo(f"you> {answer}")
    return answer


def _start(
    rt: Runtime,
    *,
    email: str | None,
    name: str,
    company: str,
    flow_id: str | None,
    sdr_email: str | None,
) -> Prompt:
    with rt.session() as session:
        given_by, user_id = GivenBy.PROSPECT, None
        actor = Actor.system("cli")
        if sdr_email:
            user = get_user_by_email(session=session, email=sdr_email)
            if user is None:
                raise NotFound(f"no Baton user {sdr_email!r}; add one with `baton user add`")
            given_by, user_id = GivenBy.SDR, user.id
        data = LeadCreate(email=email, name=name, company_name=company)
        if email:
            lead, _ = upsert_lead(session=session, data=data, actor=actor)
        else:
            lead = create_lead(session=session, data=data, actor=actor)
        return rt.dialogs.start(
            session=session,
            lead=lead,
            channel="cli",
            given_by=given_by,
            user_id=user_id,
            flow_id=flow_id,
            apply_outcome=sdr_email is None,  # an SDR's call recommends; the SDR decides
        )


def _decide(rt: Runtime, *, user: User, conversation_id: int, decision: str) -> str:
    """Apply the SDR's decision after a call; what happened, in one line."""
    verb, _, reason = decision.strip().partition(" ")
    verb = verb.lower()
    if verb in ("", "leave"):
        return "no decision: the lead stays where it is"
    with rt.session() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise NotFound(f"no conversation {conversation_id}")
        if verb == "handoff":
            request, new = ask_for_handoff(
                session=session, lead_id=conversation.lead_id, user=user, rules=rt.rules
            )
            session.commit()
            return (
                f"handoff requested (request {request.id}); a manager approves it"
                if new
                else f"a handoff request is already pending (request {request.id})"
            )
        if verb == "nurture":
            lead = return_to_nurture(
                session=session, lead_id=conversation.lead_id, user=user, reason=reason
            )
            session.commit()
            return f"returned to nurture: the lead is now {lead.stage.value.upper()}"
    raise InvalidInput(f"unknown decision {decision!r}; {DECIDE}")


def _recommended(outcome: Outcome) -> str:
    lines = [
        f"\nrecommendation: {outcome.action.value} — the lead stays"
        f" {outcome.stage.value.upper()} until you decide (score {outcome.score})"
    ]
    lines += [f"  - {reason}" for reason in outcome.reasons]
    return "\n".join(lines)


def _summary(rt: Runtime, conversation_id: int) -> str:
    with rt.session() as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            raise NotFound(f"no conversation {conversation_id}")
        report = lead_report(session=session, lead_id=conversation.lead_id)
    return render_explain(report)


def register(app: typer.Typer) -> None:
    @app.command()
    def chat(
        email: str = typer.Option(None, help="Chat as an existing (or new) lead with this email."),
        name: str = typer.Option("", help="The lead's name, if known."),
        company: str = typer.Option("", help="The lead's company, if known."),
        flow: str = typer.Option(None, help="Flow id (default: the configured default flow)."),
        resume: int = typer.Option(None, help="Resume conversation ID where it stopped."),
        sdr: str = typer.Option(
            None, help="Answer as this SDR (a Baton user's email) instead of as the prospect."
        ),
    ) -> None:
        """Qualify a lead in the terminal; one answer per line (commands: back, skip,
        restart, help, human)."""
        rt = build_runtime(Settings())
        interactive = sys.stdin.isatty()
        if resume is not None:
            with rt.session() as session:
                prompt = rt.dialogs.current(session=session, conversation_id=resume)
        else:
            prompt = _start(
                rt, email=email, name=name, company=company, flow_id=flow, sdr_email=sdr
            )
        given_by = GivenBy.SDR if sdr else GivenBy.PROSPECT
        user_id = None
        caller: User | None = None
        if sdr:
            with rt.session() as session:
                caller = get_user_by_email(session=session, email=sdr)
                if caller is None:
                    raise PermissionDenied(f"{sdr} is not a Baton user")
                user_id = caller.id
        typer.echo(render_prompt(prompt))
        while not prompt.done:
            answer = _read_answer(sys.stdin, interactive)
            if answer is None:
                typer.echo(f"(stopped; resume with: baton chat --resume {prompt.conversation_id})")
                return
            try:
                with rt.session() as session:
                    prompt = rt.dialogs.advance(
                        session=session,
                        conversation_id=prompt.conversation_id,
                        text=answer,
                        turn_id=f"cli-{uuid.uuid4().hex}",
                        given_by=given_by,
                        user_id=user_id,
                        expected_version=prompt.version,
                    )
            except ConcurrentTurn as exc:
                typer.echo(f"! {exc}", err=True)
                with rt.session() as session:
                    prompt = rt.dialogs.current(
                        session=session, conversation_id=prompt.conversation_id
                    )
            typer.echo(render_prompt(prompt))
        outcome = prompt.outcome
        if outcome is not None and not outcome.applied and caller is not None:
            typer.echo(_recommended(outcome))
            typer.echo(f"{DECIDE}:")
            decision = _read_answer(sys.stdin, interactive) or ""
            try:
                typer.echo(
                    _decide(
                        rt, user=caller, conversation_id=prompt.conversation_id, decision=decision
                    )
                )
            except BatonError as exc:
                typer.echo(f"! {exc}", err=True)
                raise typer.Exit(1) from exc
        elif outcome is not None:
            typer.echo(
                f"\noutcome: {outcome.action.value} — lead is now {outcome.stage.value.upper()}"
                f" (score {outcome.score})"
            )
            for reason in outcome.reasons:
                typer.echo(f"  - {reason}")
        typer.echo("")
        typer.echo(_summary(rt, prompt.conversation_id))
