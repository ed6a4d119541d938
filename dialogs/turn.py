"""What one turn does to a conversation: answer, confirm, reprompt, command, or finish.

A `Turn` works inside the caller's transaction and never commits. It reads the lead's
answers from storage, records new ones, moves the flow's shared machine on a plain
model, and leaves behind the new state, bookkeeping and reply for the engine to store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from dialogs.capture import capture_field, valid_value
from dialogs.commands import Command, command_help
from dialogs.conditions import TurnFacts
from dialogs.flow import DONE, HUMAN, Flow, Step
from dialogs.live_desk import OFFER_FOLLOWUP
from dialogs.machine import FlowMachine
from dialogs.outcome import finish_flow
from dialogs.prompt import Outcome
from dialogs.state import DialogState, Pending
from dialogs.templates import lead_context, reads_answers
from qualification.lifecycle import Actor
from qualification.parsers import LOW_CONFIDENCE, ParseContext, parse_answer
from qualification.parsers.result import (
    AnswerKind,
    AuthorityValue,
    Choice,
    ParseResult,
    ParseStatus,
)
from qualification.parsers.seniority import parse_seniority
from qualification.parsers.serialize import result_from_json, result_to_json
from qualification.rules import RuleSet
from qualification.scoring import AnswerFacts
from qualification.stages import Dimension, GivenBy
from storage.answers import LeadAnswers, load_answers, record_answer
from storage.leads import lock_lead
from storage.ledger import ScoreInputs, load_score_inputs, rescore_lead
from storage.models import Lead

YES_NO = (Choice("yes", "Yes"), Choice("no", "No"))
GAVE_UP = "Let's move on; I've noted that one as unknown for now."
SKIPPED = "Skipped."
ALREADY_FIRST = "This is the first question, so there is nothing to go back to."
RESTARTED = "Let's start over from the beginning."
NOT_CONFIRMED = "No problem, let's try that again."


@dataclass(frozen=True)
class Reply:
    """The bot's next message, before it becomes a `Prompt`."""

    text: str
    step_id: str | None
    choices: tuple[Choice, ...] = ()
    expects: AnswerKind | None = None


class Turn:
    """One turn on one conversation (see module docstring)."""

    def __init__(
        self,
        *,
        session: Session,
        flow: Flow,
        machine: FlowMachine,
        rules: RuleSet,
        conversation_id: int,
        lead: Lead,
        state: DialogState,
        position: str,
        now: datetime,
        given_by: GivenBy,
        user_id: int | None,
        actor: Actor,
        channel: str,
        live: bool | None = None,
        live_note: str = "",
        live_answer_by: datetime | None = None,
        lead_held: bool = False,
    ) -> None:
        self.session = session
        self.flow = flow
        self.machine = machine
        self.rules = rules
        self.conversation_id = conversation_id
        self.lead = lead
        # What is read about the lead, once a turn: its answers (every reply's templates and
        # conditions use them), and what re-scoring reads. `lead_held`: this transaction
        # holds the lead's row already, so re-scoring need not read it again.
        self.lead_held = lead_held
        self._answers: LeadAnswers | None = None
        self._score_inputs: ScoreInputs | None = None
        self.state = state
        self.position = position  # the current step id, DONE or HUMAN
        self.now = now
        self.given_by = given_by
        self.user_id = user_id
        self.actor = actor
        self.channel = channel
        self.notices: list[str] = []
        self.outcome: Outcome | None = None
        # Web chats only: whether a person can take a live chat now (None: not a web chat,
        # "talk to a human" just hands the conversation over), and what to say about it.
        self.live = live
        self.live_note = live_note
        self.live_answer_by = live_answer_by
        self.offer: str | None = None  # an offer for the channel to show (see live_desk)

    # --- what is known -------------------------------------------------------------

    def _lead_id(self) -> int:
        assert self.lead.id is not None
        return self.lead.id

    def answers(self) -> LeadAnswers:
        """The lead's current answers (read on first use, then kept up to date)."""
        if self._answers is None:
            self._answers = load_answers(session=self.session, lead_id=self._lead_id())
        return self._answers

    def score_inputs(self) -> ScoreInputs:
        """What re-scoring the lead reads, read once, after holding the lead."""
        if self._score_inputs is None:
            if not self.lead_held:
                lock_lead(session=self.session, lead=self.lead)
                self.lead_held = True
                self._answers = None  # read again now that the lead is held
            self._score_inputs = load_score_inputs(
                session=self.session, lead_id=self._lead_id(), answers=self.answers()
            )
        return self._score_inputs

    def _switch_lead(self, lead: Lead) -> None:
        """The conversation now belongs to `lead` (a merge): forget what was read."""
        self.lead = lead
        self.lead_held = False
        self._answers = None
        self._score_inputs = None

    def _answer_facts(self) -> list[AnswerFacts]:
        return self.answers().facts()

    def summaries(self) -> dict[str, str]:
        """Read-back summaries templates can use: by dimension and by step id."""
        known = {facts.dimension.value: facts.result.summary for facts in self._answer_facts()}
        return {**known, **self.state.answers}

    def _facts(self, result: ParseResult[Any] | None) -> TurnFacts:
        answers: dict[Dimension, ParseResult[Any]] = {
            facts.dimension: facts.result for facts in self._answer_facts()
        }
        return TurnFacts(
            result=result,
            answers=answers,
            budget_minimum=self.rules.budget_minimum,
            default_currency=self.rules.default_currency,
            today=self.now.date(),
            timeline_horizon_days=self.rules.timeline_horizon_days,
        )

    def _known(self, step: Step) -> tuple[bool, ParseResult[Any] | None]:
        """Whether a skip-if-known step is answered already, from outside this conversation."""
        if step.field is not None:
            value = getattr(self.lead, step.field, None)
            return (value not in (None, "") and step.field not in self.state.captured), None
        if step.dimension is not None:
            answer = self.answers().current().get(step.dimension)
            if answer is None or answer.conversation_id == self.conversation_id:
                return False, None
            if answer.status not in (ParseStatus.OK.value, ParseStatus.NONE.value):
                return False, None
            facts = {f.dimension: f.result for f in self._answer_facts()}
            return True, facts.get(step.dimension)
        return False, None

    # --- moving ----------------------------------------------------------------------

    def settle(self, position: str) -> None:
        """Stand on `position`, passing over steps whose answer is already known."""
        while position not in (DONE, HUMAN):
            step = self.flow.step(position)
            if not step.skip_if_known:
                break
            known, result = self._known(step)
            if not known:
                break
            position = self.machine.answer(position, self._facts(result))
        self.position = position
        if position == DONE:
            self.outcome = finish_flow(
                session=self.session,
                lead=self.lead,
                rules=self.rules,
                actor=self.actor,
                apply=self.state.apply_outcome,
                now=self.now,
                answers=self.answers(),
                ledger=self._score_inputs.ledger if self._score_inputs else None,
            )

    def _leave(self, step: Step, result: ParseResult[Any] | None) -> None:
        self.state.history.append(step.id)
        self.state.retries.pop(step.id, None)
        self.state.pending = None
        self.settle(self.machine.answer(step.id, self._facts(result)))

    def _rescore(self) -> None:
        rescore_lead(
            session=self.session,
            lead=self.lead,
            rules=self.rules,
            now=self.now,
            actor=self.actor,
            inputs=self.score_inputs(),
        )

    def _record(self, step: Step, result: ParseResult[Any], raw_text: str) -> None:
        if step.dimension is not None:
            self.score_inputs()  # read before writing: the lead's row is then written once
            record_answer(
                session=self.session,
                lead=self.lead,
                dimension=step.dimension,
                result=result,
                raw_text=raw_text,
                given_by=self.given_by,
                user_id=self.user_id,
                conversation_id=self.conversation_id,
                step_id=step.id,
                answers=self.answers(),
            )
            self._adopt_role(result)
            self._rescore()
        self.state.answers[step.id] = result.summary

    def _adopt_role(self, result: ParseResult[Any]) -> None:
        """A role stated in an authority answer fills in a lead's missing job title."""
        value = result.value
        if not isinstance(value, AuthorityValue) or not value.role or self.lead.title:
            return
        self.lead.title = value.role[:200]
        level = value.seniority or parse_seniority(value.role)
        self.lead.seniority = level.value if level else None
        self.session.add(self.lead)

    def _accept(self, step: Step, result: ParseResult[Any], raw_text: str) -> None:
        if step.field is not None and result.status is ParseStatus.OK:
            self.score_inputs()  # read before writing: the lead's row is then written once
            captured = capture_field(
                session=self.session,
                lead=self.lead,
                field=step.field,
                value=result.value,
                now=self.now,
                actor=self.actor,
                channel=self.channel,
            )
            self.notices.extend(captured.notices)
            if captured.merged_into is not None:
                self._switch_lead(captured.merged_into)
            if captured.linked_lead_id is not None:
                self.state.linked_lead_id = captured.linked_lead_id
            if captured.stored and step.field not in self.state.captured:
                self.state.captured.append(step.field)
            self._rescore()
        self._record(step, result, raw_text)
        self._leave(step, result)

    # --- what the person said -----------------------------------------------------------

    def _context(self, step: Step) -> ParseContext:
        return ParseContext(
            today=self.now.date(),
            default_currency=self.rules.default_currency,
            pain_points=tuple(self.rules.pain_points),
            choices=step.choices,
        )

    def command(self, command: Command) -> Reply:
        """back, skip, restart, help or human, at any step."""
        step = self.flow.step(self.position)
        self.state.pending = None
        if command is Command.HELP:
            text = self.render(step, "help", step.help) if step.help else ""
            help_text = f"{text} {command_help()}".strip()
            return self.reply(prefix=help_text + "\n\n")
        if command is Command.SKIP:
            self.notices.append(SKIPPED)
            self._leave(step, None)
        elif command is Command.BACK:
            if not self.state.history:
                self.notices.append(ALREADY_FIRST)
            else:
                previous = self.state.history.pop()
                self.state.retries.pop(previous, None)
                self.position = self.machine.go_to(previous)
        elif command is Command.RESTART:
            self.state.history.clear()
            self.state.retries.clear()
            self.state.answers.clear()
            self.notices.append(RESTARTED)
            self.settle(self.machine.restart(self.position))
        elif self.live is False:
            # Nobody is there to take it: say so honestly, offer a follow-up, carry on.
            self.offer = OFFER_FOLLOWUP
            return self.reply(prefix=self.live_note + "\n\n")
        else:
            self.position = self.machine.talk_to_human(self.position)
            if self.live:
                self.notices.append(self.live_note)
        return self.reply()

    def answer(self, text: str) -> Reply:
        """Parse an answer to the current step (or to a pending read-back) and act on it."""
        step = self.flow.step(self.position)
        pending = self.state.pending
        if pending is not None and pending.step_id == step.id:
            confirm = parse_answer(AnswerKind.YES_NO, text, context=self._context(step))
            if confirm.status is ParseStatus.OK and confirm.value is True:
                self._accept(step, result_from_json(pending.result), pending.raw_text)
                return self.reply()
            self.state.pending = None
            if confirm.status is ParseStatus.OK:
                return self.reply(prefix=NOT_CONFIRMED + " ")
            # Neither yes nor no: take it as a new answer to the question.
        result = parse_answer(step.kind, text, context=self._context(step))
        if (
            result.status is ParseStatus.OK
            and step.field
            and not valid_value(step.field, result.value)
        ):
            result = ParseResult(
                kind=result.kind,
                status=ParseStatus.INVALID,
                value=None,
                confidence=0.0,
                summary=result.summary,
            )
        if result.status is ParseStatus.INVALID:
            return self._retry(step, text)
        if result.status is ParseStatus.OK and result.confidence < LOW_CONFIDENCE:
            self.state.pending = Pending(step.id, result_to_json(result), text)
            return Reply(
                text=f"I understood: {result.summary}. Is that right?",
                step_id=step.id,
                choices=YES_NO,
                expects=AnswerKind.YES_NO,
            )
        self._accept(step, result, text)
        return self.reply()

    def _retry(self, step: Step, text: str) -> Reply:
        failures = self.state.retries.get(step.id, 0) + 1
        self.state.retries[step.id] = failures
        if failures <= step.retry_cap:
            reprompt = self.render(step, "reprompt", step.reprompt) if step.reprompt else None
            question = reprompt or f"Sorry, I didn't quite get that. {self.question(step)}"
            return Reply(
                text=question, step_id=step.id, choices=step.quick_replies, expects=step.kind
            )
        unknown: ParseResult[Any] = ParseResult(
            kind=step.kind,
            status=ParseStatus.UNKNOWN,
            value=None,
            confidence=1.0,
            summary="unknown",
            notes=(f"no clear answer after {failures} tries",),
        )
        self.notices.append(GAVE_UP)
        self._record(step, unknown, text)
        self._leave(step, unknown)
        return self.reply()

    # --- replies -----------------------------------------------------------------------------

    def _render(self, key: str, source: str) -> str:
        template = self.flow.templates.get(key)
        answers = self.summaries() if template is not None and reads_answers(template) else {}
        return self.flow.render(key, source, lead=lead_context(self.lead), answers=answers)

    def render(self, step: Step, key: str, source: str) -> str:
        return self._render(f"steps.{step.id}.{key}", source)

    def question(self, step: Step) -> str:
        return self.render(step, "question", step.question)

    def greeting(self) -> str:
        return self._render("greeting", self.flow.greeting)

    def closing(self, outcome: str) -> str:
        return self._render(f"closing.{outcome}", self.flow.closing[outcome])

    def reply(self, *, prefix: str = "") -> Reply:
        """The message for where the conversation now stands."""
        if self.position == HUMAN:
            return Reply(text=prefix + self.closing("human"), step_id=None)
        if self.position == DONE:
            assert self.outcome is not None
            return Reply(text=prefix + self.closing(self.outcome.action.value), step_id=None)
        step = self.flow.step(self.position)
        return Reply(
            text=prefix + self.question(step),
            step_id=step.id,
            choices=step.quick_replies,
            expects=step.kind,
        )

    def progress(self) -> tuple[int, int]:
        answered = len(self.state.history)
        if self.position in (DONE, HUMAN):
            return answered, answered
        return answered, answered + len(self.flow.default_path(self.position))
