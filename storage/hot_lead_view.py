"""What an SDR sees about a hot lead, and the Slack posts that show it (to update on a claim)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from qualification.stages import Stage
from storage.hot_leads import HOT
from storage.leads import get_lead
from storage.models import OutboxItem, SlackPost, User
from storage.score_reasons import top_reasons
from storage.slack_posts import posts_for, record_post

SUBJECT = "hot_lead"  # SlackPost.subject; subject_id is the lead id


@dataclass(frozen=True)
class HotLeadView:
    lead_id: int
    name: str
    email: str | None
    title: str
    company: str
    stage: str
    score: int
    top_reasons: tuple[str, ...]  # the ledger lines that add the most points
    causes: tuple[str, ...]  # why it is hot: `lead.hot` reasons, first first
    owner_name: str | None
    owner_slack_id: str | None

    @property
    def claimable(self) -> bool:
        return self.owner_name is None and self.stage != Stage.DISQUALIFIED.value


def hot_causes(*, session: Session, lead_id: int) -> tuple[str, ...]:
    """The distinct reasons of every `lead.hot` event queued for the lead, oldest first."""
    items = session.exec(
        select(OutboxItem)
        .where(
            OutboxItem.topic == HOT,
            col(OutboxItem.dedupe_key).startswith(f"{HOT}:{lead_id}:"),
        )
        .order_by(col(OutboxItem.id))
    ).all()
    return tuple(dict.fromkeys(str(item.payload.get("reason", "")) for item in items))


def hot_lead_view(*, session: Session, lead_id: int) -> HotLeadView:
    """The lead as its hot-lead card shows it, read fresh from the database."""
    lead = get_lead(session=session, lead_id=lead_id)
    session.refresh(lead)
    owner = session.get(User, lead.owner_id) if lead.owner_id is not None else None
    return HotLeadView(
        lead_id=lead_id,
        name=lead.name,
        email=lead.email,
        title=lead.title,
        company=lead.company_name,
        stage=lead.stage.value,
        score=lead.score,
        top_reasons=top_reasons(session=session, lead_id=lead_id),
        causes=hot_causes(session=session, lead_id=lead_id),
        owner_name=(owner.name or owner.email) if owner else None,
        owner_slack_id=owner.slack_user_id if owner else None,
    )


def hot_lead_posts(*, session: Session, lead_id: int) -> list[SlackPost]:
    """Every card posted about this hot lead, oldest first."""
    return posts_for(session=session, subject=SUBJECT, subject_id=lead_id)


def posted_since(*, session: Session, lead_id: int, since: datetime) -> bool:
    """Whether a card about this lead was posted at or after `since` (when its cause was
    queued): then a redelivered or near-simultaneous cause must not post another."""
    return any(post.posted_at >= since for post in hot_lead_posts(session=session, lead_id=lead_id))


def record_hot_post(*, session: Session, lead_id: int, channel: str, ts: str) -> SlackPost:
    """Remember a posted card so a claim can update it (recording it twice is harmless)."""
    return record_post(session=session, subject=SUBJECT, subject_id=lead_id, channel=channel, ts=ts)
