"""The dialog engine: start a qualification conversation and advance it one turn at a time.

One turn is one transaction. A repeated client turn id returns the stored reply and
writes nothing. Two turns racing on one conversation: the first to bump the
conversation's version wins; the other is rolled back and told (`ConcurrentTurn`).
The engine knows no channel: it returns a `Prompt` that each channel renders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from dialogs import store
from dialogs.commands import parse_command
from dialogs.flow import HUMAN, Flow, FlowRegistry
from dialogs.intake import clean_input
from dialogs.live_desk import LiveDesk
from dialogs.prompt import Outcome, Prompt
from dialogs.reply import build_prompt, conversation_changes, send_reply
from dialogs.state import DialogState
from dialogs.turn import Reply, Turn
from qualification.errors import ConcurrentTurn, NotFound
from qualification.lifecycle import Actor, ActorKind, StageEvent
from qualification.rules import RuleSet
from qualification.stages import GivenBy, Stage
from storage.leads import move_stage
from storage.models import Conversation, Lead, User

FINISHED = "This conversation has finished. Thank you for your time!"
WITH_A_PERSON = "A person from our team is taking over this conversation and will reply here."


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Advanced:
    """What `advance_turn` did: the reply, and where the turn's messages are.

    `applied` is False when this call wrote nothing: a repeated turn id (`prompt` is the
    reply stored the first time), a conversation that is no longer with the bot, unreadable
    text, or a turn id whose message was stored without a bot reply (`heard`: it went to a
    person in a live chat). `status` is the conversation's status after the call;
    `live_chat_id` its latest live chat before it (None: it never had one).
    """

    prompt: Prompt
    applied: bool
    status: str
    said_seq: int | None = None
    reply_seq: int | None = None
    heard: bool = False
    live_chat_id: int | None = None


class DialogEngine:
    """Runs flows over conversations stored in the database (nothing kept between turns)."""

    def __init__(
        self,
        *,
        flows: FlowRegistry,
        rules: RuleSet,
        clock: Callable[[], datetime] | None = None,
        desk: LiveDesk | None = None,
    ) -> None:
        self.flows = flows
        self.rules = rules
        self.clock = clock or _utcnow
        self.desk = desk

    # --- helpers ---------------------------------------------------------------------

    def _actor(self, session: Session, *, channel: str, user_id: int | None) -> Actor:
        if user_id is not None:
            user = session.get(User, user_id)
            if user is None:
                raise NotFound(f"no user with id {user_id}")
            return Actor(kind=ActorKind.USER, label=user.email, user_id=user_id)
        return Actor(kind=ActorKind.PROSPECT, label=channel)

    def _turn(
        self,
        session: Session,
        conversation: Conversation,
        *,
        given_by: GivenBy,
        user_id: int | None,
        now: datetime,
        lead: Lead | None = None,
    ) -> Turn:
        """The turn on `conversation`; `lead`: its lead, already held by this transaction."""
        assert conversation.id is not None
        flow = self.flows.get(conversation.flow_id)
        held = lead is not None
        if lead is None:
            lead = session.get(Lead, conversation.lead_id)
        if lead is None:
            raise NotFound(f"no lead with id {conversation.lead_id}")
        live: bool | None = None
        live_note = ""
        answer_by: datetime | None = None
        if self.desk is not None and conversation.channel == "web":
            live = self.desk.open_now(now)
            live_note = self.desk.wait_note() if live else self.desk.offline_note(now)
            answer_by = self.desk.answer_by(now) if live else None
        return Turn(
            session=session,
            flow=flow,
            machine=self.flows.machine(flow.id),
            rules=self.rules,
            conversation_id=conversation.id,
            lead=lead,
            lead_held=held,
            state=DialogState.from_json(conversation.context),
            position=conversation.state,
            now=now,
            given_by=given_by,
            user_id=user_id,
            actor=self._actor(session, channel=conversation.channel, user_id=user_id),
            channel=conversation.channel,
            live=live,
            live_note=live_note,
            live_answer_by=answer_by,
        )

    # --- the public API --------------------------------------------------------------

    def start(
        self,
        *,
        session: Session,
        lead: Lead,
        channel: str,
        given_by: GivenBy,
        user_id: int | None = None,
        flow_id: str | None = None,
        apply_outcome: bool = True,
        on_open: Callable[[Session, Conversation], object] | None = None,
    ) -> Prompt:
        """Open a conversation on the flow's first question (known answers skipped); commits.

        `on_open` runs in the same transaction once the conversation has its id, for a channel
        that records where the conversation lives (a Slack thread) atomically with it.
        """
        flow: Flow = self.flows.get(flow_id) if flow_id else self.flows.default
        now = self.clock()
        try:
            actor = self._actor(session, channel=channel, user_id=user_id)
            reason = f"started a qualification chat ({channel})"
            if lead.stage == Stage.NEW:
                move_stage(
                    session=session,
                    lead=lead,
                    event=StageEvent.MARK_MQL,
                    actor=actor,
                    reason=reason,
                )
            elif lead.stage == Stage.NURTURE:
                move_stage(
                    session=session,
                    lead=lead,
                    event=StageEvent.REENGAGE,
                    actor=actor,
                    reason=reason,
                )
            assert lead.id is not None
            conversation = Conversation(
                lead_id=lead.id,
                channel=channel,
                flow_id=flow.id,
                flow_version=flow.version,
                state=flow.first_step.id,
                context=DialogState(apply_outcome=apply_outcome).to_json(),
                started_by_user_id=user_id,
                created_at=now,
                updated_at=now,
            )
            session.add(conversation)
            session.flush()
            if on_open is not None:
                on_open(session, conversation)
            turn = self._turn(session, conversation, given_by=given_by, user_id=user_id, now=now)
            turn.settle(flow.first_step.id)
            reply = turn.reply()
            greeting_text = turn.greeting()
            reply = Reply(
                text=f"{greeting_text}\n\n{reply.text}",
                step_id=reply.step_id,
                choices=reply.choices,
                expects=reply.expects,
            )
            prompt = build_prompt(turn, reply, version=conversation.version, notices=turn.notices)
            # Set on the new row (written with it when nothing changed, never twice).
            for name, value in conversation_changes(session, turn, conversation).items():
                setattr(conversation, name, value)
            greeting = store.message_row(
                conversation_id=turn.conversation_id,
                seq=1,  # the conversation's first message
                direction="out",
                author="bot",
                text=prompt.text,
                turn_id=None,
                now=now,
                payload=prompt.to_json(),
            )
            store.add_messages(session=session, rows=[greeting])
            session.commit()
        except BaseException:
            session.rollback()
            raise
        return prompt

    def current(self, *, session: Session, conversation_id: int) -> Prompt:
        """The conversation's latest prompt (to resume it), without notices."""
        conversation = store.load_conversation(session=session, conversation_id=conversation_id)
        latest = store.last_reply(session=session, conversation_id=conversation_id)
        if latest is None:
            session.rollback()
            raise NotFound(f"conversation {conversation_id} has no messages")
        prompt = Prompt.from_json(
            {**latest.to_json(), "notices": [], "version": conversation.version}
        )
        session.rollback()  # end the read transaction; nothing was written
        return prompt

    def resume(
        self,
        *,
        session: Session,
        conversation: Conversation,
        step_id: str | None,
        now: datetime,
    ) -> Prompt | None:
        """Give a conversation back to the bot at `step_id` (after a live chat), in the
        caller's transaction: it is active again and the bot asks that question (or the next
        one not yet known). With no step, or a step the flow no longer has, the conversation
        is finished instead (None). The caller has bumped the version and commits."""
        assert conversation.id is not None
        flow = self.flows.get(conversation.flow_id)
        if step_id is None or not flow.has_step(step_id):
            store.save_conversation(
                session=session,
                conversation_id=conversation.id,
                values={"status": "completed", "completed_at": now, "updated_at": now},
            )
            return None
        store.save_conversation(
            session=session,
            conversation_id=conversation.id,
            values={"status": "active", "completed_at": None, "state": step_id},
        )
        conversation.status = "active"
        conversation.state = step_id
        turn = self._turn(session, conversation, given_by=GivenBy.PROSPECT, user_id=None, now=now)
        turn.settle(step_id)
        return send_reply(
            session=session,
            turn=turn,
            conversation=conversation,
            reply=turn.reply(prefix="Let's carry on. "),
            version=conversation.version,
            notices=turn.notices,
            turn_id=None,
        )

    def _finished(self, conversation: Conversation, notices: tuple[str, ...] = ()) -> Prompt:
        assert conversation.id is not None
        outcome = Outcome.from_json(conversation.outcome) if conversation.outcome else None
        text = WITH_A_PERSON if conversation.status == "human" else FINISHED
        return Prompt(
            conversation_id=conversation.id,
            version=conversation.version,
            step_id=None,
            text=text,
            done=True,
            outcome=outcome,
            notices=notices,
        )

    def _concurrent(self, session: Session, conversation_id: int) -> ConcurrentTurn:
        latest = store.last_reply(session=session, conversation_id=conversation_id)
        session.rollback()
        question = f" The current question is: {latest.text}" if latest else ""
        return ConcurrentTurn(
            "Another reply reached this conversation first, so this one was not applied." + question
        )

    def advance(
        self,
        *,
        session: Session,
        conversation_id: int,
        text: str | bytes,
        turn_id: str,
        given_by: GivenBy,
        user_id: int | None = None,
        expected_version: int | None = None,
    ) -> Prompt:
        """Apply one answer or command as one transaction; commits. See the module docstring."""
        return self.advance_turn(
            session=session,
            conversation_id=conversation_id,
            text=text,
            turn_id=turn_id,
            given_by=given_by,
            user_id=user_id,
            expected_version=expected_version,
        ).prompt

    def advance_turn(
        self,
        *,
        session: Session,
        conversation_id: int,
        text: str | bytes,
        turn_id: str,
        given_by: GivenBy,
        user_id: int | None = None,
        expected_version: int | None = None,
        held: tuple[Conversation, Lead] | None = None,
    ) -> Advanced:
        """`advance`, saying what was done and where the turn's messages are; commits (or
        rolls back, when nothing was written).

        The transaction may have begun (the caller read something in it). It holds the
        conversation and its lead from its first statement here, and reads each thing once.
        `held`: the conversation and its lead, when the caller's transaction has read and held
        them already (as `store.hold` does).
        """
        intake = clean_input(text)
        try:
            if held is None:
                held = store.hold(session=session, conversation_id=conversation_id)
            conversation, lead = held
            record = store.turn_record(
                session=session, conversation_id=conversation_id, turn_id=turn_id
            )
        except BaseException:
            session.rollback()
            raise
        status = conversation.status
        chat = record.live_chat_id
        if record.reply is not None:
            session.rollback()
            return Advanced(
                prompt=Prompt.from_json(dict(record.reply)),
                applied=False,
                status=status,
                live_chat_id=chat,
                said_seq=record.said_seq,
                reply_seq=record.reply_seq,
            )
        if status != "active":
            finished = self._finished(conversation, intake.notices)
            session.rollback()
            return Advanced(
                prompt=finished,
                applied=False,
                status=status,
                live_chat_id=chat,
                said_seq=record.said_seq,
                heard=record.said_seq is not None,
            )
        if record.said_seq is not None:
            # Stored without a bot reply: it went to a person. Never apply it twice.
            session.rollback()
            return Advanced(
                prompt=self.current(session=session, conversation_id=conversation_id),
                applied=False,
                status=status,
                live_chat_id=chat,
                said_seq=record.said_seq,
                heard=True,
            )
        if intake.text is None:
            session.rollback()
            latest = self.current(session=session, conversation_id=conversation_id)
            assert intake.problem is not None
            prompt = Prompt.from_json(
                {**latest.to_json(), "notices": [*intake.notices, intake.problem]}
            )
            return Advanced(prompt=prompt, applied=False, status=status, live_chat_id=chat)
        if expected_version is not None and conversation.version != expected_version:
            raise self._concurrent(session, conversation_id)
        now = self.clock()
        try:
            advanced = self._apply(
                session,
                conversation,
                lead,
                intake.text,
                list(intake.notices),
                record=record,
                turn_id=turn_id,
                given_by=given_by,
                user_id=user_id,
                now=now,
            )
            session.commit()
            return advanced
        except IntegrityError:
            # The unique (conversation, direction, turn id) constraint: a doubled turn.
            session.rollback()
            record = store.turn_record(
                session=session, conversation_id=conversation_id, turn_id=turn_id
            )
            session.rollback()
            if record.reply is not None:
                return Advanced(
                    prompt=Prompt.from_json(dict(record.reply)),
                    applied=False,
                    status=status,
                    live_chat_id=chat,
                    said_seq=record.said_seq,
                    reply_seq=record.reply_seq,
                )
            raise
        except OperationalError as exc:
            # SQLite reports a write that lost the race as "database is locked".
            session.rollback()
            if "locked" in str(exc).lower() or "busy" in str(exc).lower():
                raise self._concurrent(session, conversation_id) from exc
            raise
        except BaseException:
            session.rollback()
            raise

    def _apply(
        self,
        session: Session,
        conversation: Conversation,
        lead: Lead,
        text: str,
        notices: list[str],
        *,
        record: store.TurnRecord,
        turn_id: str,
        given_by: GivenBy,
        user_id: int | None,
        now: datetime,
    ) -> Advanced:
        turn = self._turn(
            session, conversation, given_by=given_by, user_id=user_id, now=now, lead=lead
        )
        last_seq = record.last_seq
        said = store.message_row(
            conversation_id=turn.conversation_id,
            seq=last_seq + 1,
            direction="in",
            author=given_by.value,
            author_user_id=user_id,
            text=text,
            turn_id=turn_id,
            now=now,
        )
        if not turn.flow.has_step(turn.position):
            # The flow was edited since this conversation began and its step is gone.
            notices.append("This questionnaire has changed, so let's start from the top.")
            turn.settle(turn.flow.first_step.id)
            reply = turn.reply()
        else:
            command = parse_command(text)
            reply = turn.command(command) if command else turn.answer(text)
        prompt = build_prompt(
            turn, reply, version=conversation.version + 1, notices=[*notices, *turn.notices]
        )
        messages = [said]
        if turn.position == HUMAN:
            # A live chat opened now starts after what was said (its first seq is read).
            store.add_messages(session=session, rows=messages)
            messages = []
        values = conversation_changes(session, turn, conversation)
        messages.append(
            store.message_row(
                conversation_id=turn.conversation_id,
                seq=last_seq + 2,
                direction="out",
                author="bot",
                text=prompt.text,
                turn_id=turn_id,
                now=now,
                payload=prompt.to_json(),
            )
        )
        store.add_messages(session=session, rows=messages)
        if not store.save_turn(session=session, conversation=conversation, values=values):
            raise self._concurrent(session, turn.conversation_id)
        return Advanced(
            prompt=prompt,
            applied=True,
            status=str(values.get("status", conversation.status)),
            said_seq=last_seq + 1,
            reply_seq=last_seq + 2,
            live_chat_id=record.live_chat_id,
        )
