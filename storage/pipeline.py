"""The lead pipeline as the dashboard lists it: filtered, searched, counted by stage, paged."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from qualification.errors import InvalidInput
from qualification.stages import Stage
from storage.models import Lead, User

MAX_PER_PAGE = 200
EXPORT_LIMIT = 50_000


@dataclass(frozen=True)
class PipelineQuery:
    """Which leads to list; empty fields mean "any"."""

    stage: Stage | None = None
    owner_id: int | None = None
    unassigned: bool = False  # only leads nobody owns (ignores owner_id)
    source_channel: str | None = None
    search: str = ""  # part of the name, email or company name, any case


@dataclass(frozen=True)
class PipelineRow:
    id: int
    name: str
    email: str | None
    company: str
    stage: str
    score: int
    owner_id: int | None
    owner_name: str | None
    source_channel: str | None
    source_campaign: str | None
    last_activity: datetime


@dataclass(frozen=True)
class PipelinePage:
    rows: list[PipelineRow]
    total: int  # leads matching the query
    page: int
    per_page: int
    stage_counts: dict[str, int]  # every stage, for the query without its stage filter

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _last_activity() -> Any:
    return func.coalesce(col(Lead.last_activity_at), col(Lead.updated_at))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(statement: Any, query: PipelineQuery, *, with_stage: bool = True) -> Any:
    if with_stage and query.stage is not None:
        statement = statement.where(col(Lead.stage) == query.stage)
    if query.unassigned:
        statement = statement.where(col(Lead.owner_id).is_(None))
    elif query.owner_id is not None:
        statement = statement.where(col(Lead.owner_id) == query.owner_id)
    if query.source_channel:
        statement = statement.where(col(Lead.source_channel) == query.source_channel)
    term = query.search.strip()
    if term:
        pattern = f"%{_escape_like(term.lower())}%"
        statement = statement.where(
            or_(
                func.lower(col(Lead.name)).like(pattern, escape="\\"),
                func.lower(func.coalesce(col(Lead.email), "")).like(pattern, escape="\\"),
                func.lower(col(Lead.company_name)).like(pattern, escape="\\"),
            )
        )
    return statement


def _rows(session: Session, query: PipelineQuery, *, offset: int, limit: int) -> list[PipelineRow]:
    activity = _last_activity().label("last_activity")
    statement = _filtered(
        select(Lead, col(User.name), col(User.email), activity).outerjoin(
            User, col(User.id) == col(Lead.owner_id)
        ),
        query,
    )
    statement = statement.order_by(activity.desc(), col(Lead.id).desc()).offset(offset).limit(limit)
    rows: list[PipelineRow] = []
    for lead, owner_name, owner_email, last in session.exec(statement).all():
        rows.append(
            PipelineRow(
                id=lead.id or 0,
                name=lead.name,
                email=lead.email,
                company=lead.company_name,
                stage=lead.stage.value,
                score=lead.score,
                owner_id=lead.owner_id,
                owner_name=(owner_name or owner_email) if lead.owner_id else None,
                source_channel=lead.source_channel,
                source_campaign=lead.source_campaign,
                last_activity=last if isinstance(last, datetime) else lead.updated_at,
            )
        )
    return rows


def stage_counts(*, session: Session, query: PipelineQuery) -> dict[str, int]:
    """How many leads of the query are in each stage (every stage listed, zeros included)."""
    statement = _filtered(
        select(col(Lead.stage), func.count()).group_by(col(Lead.stage)), query, with_stage=False
    )
    counts = {stage.value: 0 for stage in Stage}
    for stage, count in session.exec(statement).all():
        counts[Stage(stage).value] = int(count)
    return counts


def pipeline_page(
    *, session: Session, query: PipelineQuery, page: int = 1, per_page: int = 50
) -> PipelinePage:
    """One page of the pipeline, most recently active first, with totals and stage counts."""
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(f"per_page must be between 1 and {MAX_PER_PAGE}")
    if page < 1:
        raise InvalidInput("page must be 1 or more")
    counts = stage_counts(session=session, query=query)
    total = counts[query.stage.value] if query.stage is not None else sum(counts.values())
    rows = _rows(session, query, offset=(page - 1) * per_page, limit=per_page)
    return PipelinePage(rows=rows, total=total, page=page, per_page=per_page, stage_counts=counts)


def pipeline_rows(
    *, session: Session, query: PipelineQuery, limit: int = EXPORT_LIMIT, batch: int = 500
) -> Iterator[PipelineRow]:
    """Every lead of the query in pipeline order (at most `limit`), for an export."""
    offset = 0
    while offset < limit:
        rows = _rows(session, query, offset=offset, limit=min(batch, limit - offset))
        yield from rows
        if len(rows) < batch:
            return
        offset += len(rows)


def lead_owners(*, session: Session) -> list[tuple[int, str]]:
    """Users who own at least one lead, as (id, display name), for the owner filter."""
    statement = (
        select(col(User.id), col(User.name), col(User.email))
        .where(col(User.id).in_(select(col(Lead.owner_id)).where(col(Lead.owner_id).is_not(None))))
        .order_by(col(User.name), col(User.email))
    )
    return [(i, name or email) for i, name, email in session.exec(statement).all() if i]


def source_channels(*, session: Session) -> list[str]:
    """The distinct source channels of leads, for the source filter."""
    statement = (
        select(col(Lead.source_channel))
        .where(col(Lead.source_channel).is_not(None))
        .distinct()
        .order_by(col(Lead.source_channel))
    )
    return [str(c) for c in session.exec(statement).all() if c]
