"""Why leads left the funnel, and what each person did, in a period [start, end).

**Reasons**: the reason text of every move to nurture and to disqualified made in the period,
grouped ignoring case and runs of whitespace; each move counts once. The most frequent reasons
are listed, the rest counted together.

**Per person**: every user (SDR or manager) who worked a lead in the period, that is who made a
stage move on it in the period, or owns it and it moved in the period (the current owner:
ownership history is not recorded). Their handoff requests decided in the period give the SQLs
approved and the approval rate, approved / (approved + rejected). A request belongs to the user
who asked for it, or, when no user did (a qualifying chat), to the lead's owner. Cancelled
requests (the lead moved on before a decision) are not decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, union
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from qualification.stages import HandoffStatus, Role, Stage
from storage.models import HandoffRequest, Lead, StageChange, User

TOP_REASONS = 8


@dataclass(frozen=True)
class Reason:
    text: str  # lower-cased, whitespace collapsed
    count: int


@dataclass(frozen=True)
class ReasonSummary:
    stage: Stage
    total: int  # moves to the stage in the period
    top: tuple[Reason, ...]  # the most frequent reasons, most frequent first

    @property
    def other(self) -> int:
        """Moves whose reason is not among the top ones."""
        return self.total - sum(r.count for r in self.top)


@dataclass(frozen=True)
class PersonLine:
    user_id: int
    name: str
    role: Role
    leads_worked: int
    approved: int  # their handoff requests approved in the period: SQLs
    rejected: int

    @property
    def decided(self) -> int:
        return self.approved + self.rejected

    @property
    def approval_rate(self) -> float | None:
        return self.approved / self.decided if self.decided else None


def normalise_reason(text: str) -> str:
    return " ".join(text.split()).lower()


def reasons(
    *, session: Session, start: datetime, end: datetime, top: int = TOP_REASONS
) -> tuple[ReasonSummary, ReasonSummary]:
    """The reasons for moves to nurture and to disqualified in [start, end)."""
    exits = (Stage.NURTURE, Stage.DISQUALIFIED)
    # Grouped by trimmed lower-case text in SQL; runs of inner whitespace (and the letters
    # SQLite does not lower-case) are merged here, over distinct texts rather than moves.
    moves = (
        select(
            col(StageChange.to_stage).label("stage"),
            func.lower(func.trim(col(StageChange.reason))).label("reason"),
        )
        .where(
            col(StageChange.to_stage).in_(exits),
            col(StageChange.at) >= start,
            col(StageChange.at) < end,
        )
        .subquery()
    )
    rows = session.exec(
        select(moves.c.stage, moves.c.reason, func.count()).group_by(moves.c.stage, moves.c.reason)
    ).all()
    counts: dict[Stage, dict[str, int]] = {stage: {} for stage in exits}
    for stage, text, count in rows:
        by_text = counts[Stage(stage)]
        key = normalise_reason(text or "")
        by_text[key] = by_text.get(key, 0) + int(count)
    summaries = []
    for stage in exits:
        ranked = sorted(counts[stage].items(), key=lambda item: (-item[1], item[0]))
        summaries.append(
            ReasonSummary(
                stage=stage,
                total=sum(counts[stage].values()),
                top=tuple(Reason(text, count) for text, count in ranked[:top]),
            )
        )
    return summaries[0], summaries[1]


def people(*, session: Session, start: datetime, end: datetime) -> tuple[PersonLine, ...]:
    """Leads worked, SQLs approved and approval rate of everyone active in [start, end):
    most SQLs first."""
    in_period = and_(col(StageChange.at) >= start, col(StageChange.at) < end)
    moved: Any = select(
        col(StageChange.actor_user_id).label("user_id"), col(StageChange.lead_id).label("lead_id")
    ).where(in_period, col(StageChange.actor_user_id).is_not(None))
    moving_leads = select(col(StageChange.lead_id)).where(in_period)
    owned: Any = select(col(Lead.owner_id).label("user_id"), col(Lead.id).label("lead_id")).where(
        col(Lead.owner_id).is_not(None), col(Lead.id).in_(moving_leads)
    )
    worked = union(moved, owned).subquery("worked")  # UNION: a lead counts once per user
    leads_worked = dict(
        session.exec(select(worked.c.user_id, func.count()).group_by(worked.c.user_id)).all()
    )

    requests = (
        select(
            func.coalesce(col(HandoffRequest.requested_by_user_id), col(Lead.owner_id)).label(
                "user_id"
            ),
            col(HandoffRequest.status).label("status"),
        )
        .join(Lead, col(Lead.id) == col(HandoffRequest.lead_id))
        .where(
            col(HandoffRequest.status).in_((HandoffStatus.APPROVED, HandoffStatus.REJECTED)),
            col(HandoffRequest.decided_at) >= start,
            col(HandoffRequest.decided_at) < end,
        )
        .subquery("requests")
    )

    def tally(status: HandoffStatus) -> ColumnElement[int]:
        return func.sum(case((requests.c.status == status, 1), else_=0))

    decisions = {
        user_id: (int(approved), int(rejected))
        for user_id, approved, rejected in session.exec(
            select(
                requests.c.user_id,
                tally(HandoffStatus.APPROVED),
                tally(HandoffStatus.REJECTED),
            )
            .where(requests.c.user_id.is_not(None))
            .group_by(requests.c.user_id)
        ).all()
    }
    ids = set(leads_worked) | set(decisions)
    if not ids:
        return ()
    users = session.exec(select(User).where(col(User.id).in_(ids))).all()
    lines = [
        PersonLine(
            user_id=user.id or 0,
            name=user.name or user.email,
            role=user.role,
            leads_worked=int(leads_worked.get(user.id, 0)),
            approved=decisions.get(user.id or 0, (0, 0))[0],
            rejected=decisions.get(user.id or 0, (0, 0))[1],
        )
        for user in users
    ]
    lines.sort(key=lambda line: (-line.approved, -line.leads_worked, line.name.lower()))
    return tuple(lines)
