"""Saving a turn's result: the conversation's new state and the reply that carries the Prompt."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from dialogs import store
from dialogs.flow import DONE, HUMAN
from dialogs.live_desk import OFFER_LIVE
from dialogs.prompt import Prompt
from dialogs.turn import Reply, Turn
from qualification.stages import Action
from storage.hot_leads import note_finished_chat
from storage.live_chats import create_live_chat, page_of_conversation
from storage.models import Conversation
from storage.outbox import enqueue


def _offer(turn: Turn) -> str | None:
    if turn.offer is not None:
        return turn.offer
    if turn.live and turn.position == DONE and turn.outcome is not None:
        # A qualifying web chat during hours: offer to talk to someone now.
        return OFFER_LIVE if turn.outcome.action is Action.HANDOFF else None
    return None


def build_prompt(turn: Turn, reply: Reply, *, version: int, notices: list[str]) -> Prompt:
    return Prompt(
        conversation_id=turn.conversation_id,
        version=version,
        step_id=reply.step_id,
        text=reply.text,
        choices=reply.choices,
        expects=reply.expects,
        progress=turn.progress(),
        done=turn.position in (DONE, HUMAN),
        outcome=turn.outcome,
        notices=tuple(notices),
        offer=_offer(turn),
    )


def conversation_changes(
    session: Session, turn: Turn, conversation: Conversation
) -> dict[str, Any]:
    """The conversation columns a turn changes, including the end of the flow."""
    values: dict[str, Any] = {
        "state": turn.position,
        "context": turn.state.to_json(),
        "updated_at": turn.now,
    }
    if turn.position == DONE:
        assert turn.outcome is not None
        values.update(status="completed", outcome=turn.outcome.to_json(), completed_at=turn.now)
        note_finished_chat(
            session=session,
            lead=turn.lead,
            conversation_id=turn.conversation_id,
            channel=conversation.channel,
            action=turn.outcome.action,
        )
        enqueue(
            session=session,
            kind="event",
            topic="conversation.completed",
            payload={
                "conversation_id": turn.conversation_id,
                "lead_id": conversation.lead_id,
                "channel": conversation.channel,
                "flow": f"{conversation.flow_id}@{conversation.flow_version}",
                "outcome": turn.outcome.to_json(),
            },
            dedupe_key=f"conversation.completed:{turn.conversation_id}",
        )
    elif turn.position == HUMAN:
        values.update(status="human", completed_at=turn.now)
        if turn.live and turn.live_answer_by is not None:
            create_live_chat(
                session=session,
                conversation=conversation,
                resume_step=conversation.state,
                answer_by=turn.live_answer_by,
                source_page=page_of_conversation(
                    session=session, conversation_id=turn.conversation_id
                ),
                now=turn.now,
            )
        enqueue(
            session=session,
            kind="event",
            topic="conversation.human_requested",
            payload={
                "conversation_id": turn.conversation_id,
                "lead_id": conversation.lead_id,
                "channel": conversation.channel,
                "step_id": conversation.state,
            },
            dedupe_key=f"conversation.human_requested:{turn.conversation_id}",
        )
    return values


def send_reply(
    *,
    session: Session,
    turn: Turn,
    conversation: Conversation,
    reply: Reply,
    version: int,
    notices: list[str],
    turn_id: str | None,
) -> Prompt:
    """Save the conversation's new state and the outbound message that carries the Prompt."""
    prompt = build_prompt(turn, reply, version=version, notices=notices)
    store.save_conversation(
        session=session,
        conversation_id=turn.conversation_id,
        values=conversation_changes(session, turn, conversation),
    )
    store.add_message(
        session=session,
        conversation_id=turn.conversation_id,
        direction="out",
        author="bot",
        text=prompt.text,
        turn_id=turn_id,
        now=turn.now,
        payload=prompt.to_json(),
    )
    return prompt
