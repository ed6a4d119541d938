"""Hot leads: which causes queue `lead.hot` (once each), and claims (the first one wins)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from dialogs.engine import DialogEngine
from qualification.errors import AlreadyClaimed, IllegalStageChange, PermissionDenied
from qualification.lifecycle import Actor, ActorKind, StageEvent
from qualification.rules import default_rules
from qualification.stages import Action, EventKind, GivenBy, Role, Stage
from storage.event_ingest import EventInput, ingest_events
from storage.events import record_event
from storage.hot_lead_view import hot_causes, hot_lead_view
from storage.hot_leads import CLAIMED, HOT, claim_lead
from storage.leads import move_stage
from storage.models import Lead, OutboxItem, StageChange, User
from tests.dialogs.helpers import QUALIFIED, build_engine, known_lead, run_to
from tests.factories import make_lead, make_user

RULES = default_rules()
NOW = datetime.now(UTC)
MARKETING = Actor(kind=ActorKind.MARKETING, label="test")
QUALIFYING = {**QUALIFIED, "team_size": "250", "current_tool": "we use salesforce"}
NOT_QUALIFYING = {
    "need": "Nothing really, we don't need anything like this",
    "budget": "there is no budget",
    "authority": "I decide",
    "timeline": "not sure",
    "current_tool": "skip",
}


def _items(session: Session, topic: str) -> list[OutboxItem]:
    return list(
        session.exec(
            select(OutboxItem).where(OutboxItem.topic == topic).order_by(col(OutboxItem.id))
        ).all()
    )


def _demo(session: Session, lead: Lead, key: str | None, *, days_ago: int = 0) -> bool:
    _, created = record_event(
        session=session,
        lead=lead,
        kind=EventKind.DEMO_REQUEST,
        occurred_at=NOW - timedelta(days=days_ago),
        rules=RULES,
        now=NOW,
        idempotency_key=key,
    )
    session.commit()
    return created


def _chat(
    session: Session, engine: DialogEngine, lead: Lead, channel: str, answers: dict[str, str]
) -> Action:
    prompt = engine.start(session=session, lead=lead, channel=channel, given_by=GivenBy.PROSPECT)
    prompt = run_to(engine, session, prompt, answers)
    assert prompt.done and prompt.outcome is not None
    return prompt.outcome.action


# --- what makes a lead hot ---------------------------------------------------------------


def test_a_demo_request_queues_one_hot_event_even_when_delivered_twice(session: Session) -> None:
    lead = make_lead(session)
    assert _demo(session, lead, "form-1")
    assert not _demo(session, lead, "form-1")  # the same event again: a duplicate
    (item,) = _items(session, HOT)
    assert item.payload["lead_id"] == lead.id and item.payload["reason"] == "demo_request"
    assert item.dedupe_key == f"lead.hot:{lead.id}:event:{item.payload['event_id']}"
    assert item.kind == "event" and item.status == "pending"
    assert _demo(session, lead, "form-2")  # a second demo request is a new cause
    assert len(_items(session, HOT)) == 2
    assert hot_causes(session=session, lead_id=lead.id or 0) == ("demo_request",)


def test_events_ingested_in_a_batch_queue_a_hot_event_per_demo_request(session: Session) -> None:
    lead = make_lead(session)
    events = [
        EventInput(kind=EventKind.VISIT, occurred_at=NOW, lead_id=lead.id),
        EventInput(kind=EventKind.DEMO_REQUEST, occurred_at=NOW, lead_id=lead.id),
    ]
    ingest_events(session=session, events=events, rules=RULES, now=NOW, actor=MARKETING)
    session.commit()
    assert [i.payload["lead_id"] for i in _items(session, HOT)] == [lead.id]


def test_other_events_and_stale_demo_requests_are_not_hot(session: Session) -> None:
    lead = make_lead(session)
    record_event(
        session=session,
        lead=lead,
        kind=EventKind.CONTENT_DOWNLOAD,
        occurred_at=NOW,
        rules=RULES,
        now=NOW,
    )
    assert _demo(session, lead, "backfill-1", days_ago=30)
    assert _items(session, HOT) == []


def test_a_qualifying_website_chat_makes_the_lead_hot(session: Session) -> None:
    engine = build_engine()
    lead = known_lead(session)
    assert _chat(session, engine, lead, "web", QUALIFYING) is Action.HANDOFF
    (item,) = _items(session, HOT)
    conversation_id = item.payload["conversation_id"]
    assert item.payload == {
        "lead_id": lead.id,
        "reason": "website_chat",
        "conversation_id": conversation_id,
    }
    assert item.dedupe_key == f"lead.hot:{lead.id}:chat:{conversation_id}"


@pytest.mark.parametrize(
    ("channel", "answers"), [("web", NOT_QUALIFYING), ("slack", QUALIFYING), ("cli", QUALIFYING)]
)
def test_other_chats_are_not_hot(session: Session, channel: str, answers: dict[str, str]) -> None:
    engine = build_engine()
    lead = known_lead(session)
    expected = Action.HANDOFF if answers is QUALIFYING else Action.DISQUALIFY
    assert _chat(session, engine, lead, channel, answers) is expected
    assert _items(session, HOT) == []


# --- claiming ------------------------------------------------------------------------------


def _lead_in(session: Session, stage: Stage) -> Lead:
    lead = make_lead(session)
    path = {
        Stage.NEW: [],
        Stage.MQL: [StageEvent.MARK_MQL],
        Stage.SAL: [StageEvent.MARK_MQL, StageEvent.ACCEPT],
        Stage.NURTURE: [StageEvent.MARK_MQL, StageEvent.RETURN_TO_NURTURE],
        Stage.DISQUALIFIED: [StageEvent.DISQUALIFY],
    }[stage]
    for event in path:
        move_stage(session=session, lead=lead, event=event, actor=MARKETING, reason="setup")
    session.commit()
    return lead


def _moves(session: Session, lead: Lead) -> list[tuple[str, int | None]]:
    rows = session.exec(
        select(StageChange)
        .where(StageChange.lead_id == lead.id, StageChange.actor != str(MARKETING))
        .order_by(col(StageChange.id))
    ).all()
    return [(row.event, row.actor_user_id) for row in rows]


def test_claiming_an_mql_accepts_it_for_the_sdr_with_an_audit_row(session: Session) -> None:
    sdr = make_user(session, name="Sam Sdr")
    lead = _lead_in(session, Stage.MQL)
    result = claim_lead(session=session, lead_id=lead.id or 0, user=sdr)
    session.commit()
    assert result.claimed
    stored = session.get(Lead, lead.id)
    assert stored is not None and stored.owner_id == sdr.id and stored.stage is Stage.SAL
    assert _moves(session, lead) == [("accept", sdr.id)]
    change = session.exec(select(StageChange).where(StageChange.event == "accept")).one()
    assert change.actor == f"user:{sdr.email}" and "hot lead" in change.reason
    (claimed,) = _items(session, CLAIMED)
    assert claimed.payload["lead_id"] == lead.id and claimed.payload["owner"] == sdr.id
    assert datetime.fromisoformat(claimed.payload["at"]) <= datetime.now(UTC)
    view = hot_lead_view(session=session, lead_id=lead.id or 0)
    assert view.owner_name == "Sam Sdr" and not view.claimable


@pytest.mark.parametrize(
    ("stage", "moves"),
    [
        (Stage.SAL, []),
        (Stage.NEW, ["mark_mql", "accept"]),
        (Stage.NURTURE, ["reengage", "accept"]),
    ],
)
def test_claiming_from_other_open_stages(session: Session, stage: Stage, moves: list[str]) -> None:
    manager = make_user(session, role=Role.MANAGER)
    lead = _lead_in(session, stage)
    assert claim_lead(session=session, lead_id=lead.id or 0, user=manager).claimed
    session.commit()
    session.refresh(lead)
    assert lead.owner_id == manager.id and lead.stage is Stage.SAL
    assert _moves(session, lead) == [(event, manager.id) for event in moves]
    assert len(_items(session, CLAIMED)) == 1


def test_a_second_claim_is_refused_naming_the_owner_and_changes_nothing(session: Session) -> None:
    first = make_user(session, name="Sam Sdr")
    second = make_user(session, name="Kim Sdr")
    lead = _lead_in(session, Stage.MQL)
    claim_lead(session=session, lead_id=lead.id or 0, user=first)
    session.commit()
    with pytest.raises(AlreadyClaimed, match="already claimed by Sam Sdr") as refused:
        claim_lead(session=session, lead_id=lead.id or 0, user=second)
    session.rollback()
    assert refused.value.owner == "Sam Sdr"
    session.refresh(lead)
    assert lead.owner_id == first.id and lead.stage is Stage.SAL
    assert _moves(session, lead) == [("accept", first.id)]
    assert len(_items(session, CLAIMED)) == 1


def test_claiming_ones_own_lead_again_changes_nothing(session: Session) -> None:
    sdr = make_user(session)
    lead = _lead_in(session, Stage.MQL)
    assert claim_lead(session=session, lead_id=lead.id or 0, user=sdr).claimed
    session.commit()
    assert not claim_lead(session=session, lead_id=lead.id or 0, user=sdr).claimed
    session.commit()
    assert _moves(session, lead) == [("accept", sdr.id)]
    assert len(_items(session, CLAIMED)) == 1


def test_a_disqualified_lead_cannot_be_claimed(session: Session) -> None:
    sdr = make_user(session)
    lead = _lead_in(session, Stage.DISQUALIFIED)
    with pytest.raises(IllegalStageChange, match="disqualified"):
        claim_lead(session=session, lead_id=lead.id or 0, user=sdr)
    session.rollback()
    session.refresh(lead)
    assert lead.owner_id is None and _items(session, CLAIMED) == []


def test_an_inactive_user_cannot_claim(session: Session) -> None:
    sdr = make_user(session)
    sdr.active = False
    session.add(sdr)
    session.commit()
    lead = _lead_in(session, Stage.MQL)
    with pytest.raises(PermissionDenied):
        claim_lead(session=session, lead_id=lead.id or 0, user=sdr)
    session.rollback()
    session.refresh(lead)
    assert lead.owner_id is None and lead.stage is Stage.MQL


def _race(db_engine: Engine, lead_id: int, users: list[User]) -> dict[int, str]:
    """Each user claims the lead in their own thread and transaction, all at once."""
    barrier = threading.Barrier(len(users), timeout=30)
    outcomes: dict[int, str] = {}
    errors: list[BaseException] = []

    def claim(user: User) -> None:
        try:
            with Session(db_engine) as s:
                barrier.wait()
                try:
                    claim_lead(session=s, lead_id=lead_id, user=user)
                    s.commit()
                    outcomes[user.id or 0] = "won"
                except AlreadyClaimed:
                    s.rollback()
                    outcomes[user.id or 0] = "lost"
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=claim, args=(user,)) for user in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return outcomes


def test_racing_claims_leave_exactly_one_owner(db_engine: Engine) -> None:
    with Session(db_engine, expire_on_commit=False) as setup:
        users = [make_user(setup) for _ in range(2)]
        leads = [_lead_in(setup, Stage.MQL).id or 0 for _ in range(4)]

    for lead_id in leads:
        outcomes = _race(db_engine, lead_id, users)
        assert sorted(outcomes.values()) == ["lost", "won"]
        winner = next(uid for uid, outcome in outcomes.items() if outcome == "won")
        with Session(db_engine) as check:
            lead = check.get(Lead, lead_id)
            assert lead is not None and lead.owner_id == winner and lead.stage is Stage.SAL
            accepts = check.exec(
                select(StageChange).where(
                    StageChange.lead_id == lead_id, StageChange.event == "accept"
                )
            ).all()
            assert [a.actor_user_id for a in accepts] == [winner]
            claimed = [i for i in _items(check, CLAIMED) if i.payload["lead_id"] == lead_id]
            assert [i.payload["owner"] for i in claimed] == [winner]
