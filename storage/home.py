"""What a Baton user's home screen shows.

An SDR: their open leads with the next action on each, their leads that recently left the
funnel's open stages, and unowned hot MQLs they could pick up. A manager also gets the board:
pending handoff requests (oldest first) and this week's funnel beside last week's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from qualification.next_action import NextAction, missing_dimensions, next_action
from qualification.parsers.result import ParseStatus
from qualification.stages import Dimension, HandoffStatus, Role, Stage
from storage.funnel import FunnelWeek, this_and_last_week
from storage.models import BantAnswer, HandoffRequest, Lead, StageChange, User

OPEN_LIMIT = 30
RECENT_LIMIT = 10
RECENT = timedelta(days=7)
CLAIMABLE_LIMIT = 5
PENDING_LIMIT = 15
OPEN_STAGES = (Stage.MQL, Stage.SAL)
LEFT_STAGES = (Stage.SQL, Stage.NURTURE, Stage.DISQUALIFIED)
# An answer that settles a dimension: a value, or a clear "there is none".
_SETTLED = (ParseStatus.OK.value, ParseStatus.NONE.value)


@dataclass(frozen=True)
class LeadLine:
    lead_id: int
    name: str
    company: str
    stage: Stage
    score: int
    action: NextAction
    missing: tuple[Dimension, ...] = ()  # BANT gaps of a SAL
    waiting_since: datetime | None = None  # when its pending handoff was requested
    moved_at: datetime | None = None  # when it entered its stage (recent moves only)


@dataclass(frozen=True)
class PendingLine:
    request_id: int
    lead_id: int
    lead_name: str
    company: str
    score: int
    requested_by: str
    requester_slack_id: str | None
    requested_at: datetime


@dataclass(frozen=True)
class ManagerBoard:
    pending: tuple[PendingLine, ...]  # the oldest PENDING_LIMIT requests
    pending_total: int
    this_week: FunnelWeek
    last_week: FunnelWeek


@dataclass(frozen=True)
class Home:
    name: str
    role: Role
    leads: tuple[LeadLine, ...]  # open leads they own (MQL, SAL): most advanced, best first
    recent: tuple[LeadLine, ...]  # their leads that became SQL, nurture or disqualified lately
    claimable: tuple[LeadLine, ...]  # unowned MQLs, best score first (SDRs only)
    board: ManagerBoard | None  # managers only
    now: datetime

    def by_stage(self, stage: Stage) -> tuple[LeadLine, ...]:
        return tuple(line for line in self.leads if line.stage is stage)


def _name(lead: Lead) -> str:
    return lead.name or lead.email or f"lead {lead.id}"


def _settled(session: Session, lead_ids: list[int]) -> dict[int, set[Dimension]]:
    rows = session.exec(
        select(BantAnswer.lead_id, BantAnswer.dimension).where(
            col(BantAnswer.lead_id).in_(lead_ids),
            col(BantAnswer.superseded).is_(False),
            col(BantAnswer.status).in_(_SETTLED),
        )
    ).all()
    settled: dict[int, set[Dimension]] = {}
    for lead_id, dimension in rows:
        settled.setdefault(lead_id, set()).add(Dimension(dimension))
    return settled


def _pending_since(session: Session, lead_ids: list[int]) -> dict[int, datetime]:
    rows = session.exec(
        select(HandoffRequest.lead_id, HandoffRequest.created_at).where(
            col(HandoffRequest.lead_id).in_(lead_ids),
            HandoffRequest.status == HandoffStatus.PENDING,
        )
    ).all()
    return dict(rows)


def open_leads(*, session: Session, owner_id: int) -> tuple[LeadLine, ...]:
    """The owner's MQLs and SALs with their next action: SALs first, best score first."""
    leads = session.exec(
        select(Lead)
        .where(Lead.owner_id == owner_id, col(Lead.stage).in_(OPEN_STAGES))
        .order_by(col(Lead.stage).desc(), col(Lead.score).desc(), col(Lead.id))
        .limit(OPEN_LIMIT)
    ).all()
    ids = [lead.id or 0 for lead in leads]
    settled = _settled(session, ids) if ids else {}
    pending = _pending_since(session, ids) if ids else {}
    lines = []
    for lead in leads:
        answered = settled.get(lead.id or 0, set())
        since = pending.get(lead.id or 0)
        lines.append(
            LeadLine(
                lead_id=lead.id or 0,
                name=_name(lead),
                company=lead.company_name,
                stage=lead.stage,
                score=lead.score,
                action=next_action(
                    stage=lead.stage, answered=answered, handoff_pending=since is not None
                ),
                missing=missing_dimensions(answered) if lead.stage is Stage.SAL else (),
                waiting_since=since,
            )
        )
    return tuple(lines)


def recent_moves(*, session: Session, owner_id: int, since: datetime) -> tuple[LeadLine, ...]:
    """The owner's leads that entered SQL, nurture or disqualified since `since`, newest first."""
    rows = session.exec(
        select(Lead, StageChange.at)
        .join(StageChange, col(StageChange.lead_id) == col(Lead.id))
        .where(
            Lead.owner_id == owner_id,
            col(Lead.stage).in_(LEFT_STAGES),
            col(StageChange.to_stage) == col(Lead.stage),
            col(StageChange.at) >= since,
        )
        .order_by(col(StageChange.at).desc(), col(StageChange.id).desc())
        .limit(RECENT_LIMIT * 2)
    ).all()
    seen: set[int] = set()
    lines = []
    for lead, at in rows:
        if lead.id in seen:
            continue
        seen.add(lead.id or 0)
        lines.append(
            LeadLine(
                lead_id=lead.id or 0,
                name=_name(lead),
                company=lead.company_name,
                stage=lead.stage,
                score=lead.score,
                action=NextAction.NONE,
                moved_at=at,
            )
        )
    return tuple(lines[:RECENT_LIMIT])


def claimable_leads(*, session: Session) -> tuple[LeadLine, ...]:
    """MQLs nobody owns yet, hottest first."""
    leads = session.exec(
        select(Lead)
        .where(Lead.stage == Stage.MQL, col(Lead.owner_id).is_(None))
        .order_by(col(Lead.score).desc(), col(Lead.id))
        .limit(CLAIMABLE_LIMIT)
    ).all()
    return tuple(
        LeadLine(
            lead_id=lead.id or 0,
            name=_name(lead),
            company=lead.company_name,
            stage=lead.stage,
            score=lead.score,
            action=NextAction.QUALIFY,
        )
        for lead in leads
    )


def manager_board(*, session: Session, now: datetime) -> ManagerBoard:
    """Pending handoff requests (oldest first) and the funnel of this week and last week."""
    rows = session.exec(
        select(HandoffRequest, Lead, User)
        .join(Lead, col(Lead.id) == col(HandoffRequest.lead_id))
        .outerjoin(User, col(User.id) == col(HandoffRequest.requested_by_user_id))
        .where(HandoffRequest.status == HandoffStatus.PENDING)
        .order_by(col(HandoffRequest.created_at), col(HandoffRequest.id))
        .limit(PENDING_LIMIT)
    ).all()
    total = session.exec(
        select(func.count())
        .select_from(HandoffRequest)
        .where(HandoffRequest.status == HandoffStatus.PENDING)
    ).one()
    this_week, last_week = this_and_last_week(session=session, now=now)
    return ManagerBoard(
        pending=tuple(
            PendingLine(
                request_id=request.id or 0,
                lead_id=lead.id or 0,
                lead_name=_name(lead),
                company=lead.company_name,
                score=lead.score,
                requested_by=(user.name or user.email) if user else request.requested_by,
                requester_slack_id=user.slack_user_id if user else None,
                requested_at=request.created_at,
            )
            for request, lead, user in rows
        ),
        pending_total=total,
        this_week=this_week,
        last_week=last_week,
    )


def home_for(
    *, session: Session, user: User, now: datetime, board: ManagerBoard | None = None
) -> Home:
    """Everything `user`'s home shows at `now`. Pass `board` to share one among managers."""
    is_manager = user.role is Role.MANAGER
    if is_manager and board is None:
        board = manager_board(session=session, now=now)
    return Home(
        name=user.name or user.email,
        role=user.role,
        leads=open_leads(session=session, owner_id=user.id or 0),
        recent=recent_moves(session=session, owner_id=user.id or 0, since=now - RECENT),
        claimable=() if is_manager else claimable_leads(session=session),
        board=board if is_manager else None,
        now=now,
    )
