"""A funnel data set on a fixed clock: leads from several sources moving through the stages across
four weeks (and a little before and after), with owners, reasons, approvals and a rejection.

Every move goes through the real services; the audit rows (and handoff decisions) are then
back-dated to the moment the journey says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from qualification.lifecycle import Actor, ActorKind, StageEvent
from qualification.rules import default_rules
from qualification.stages import Role
from storage.handoffs import decide_handoff, request_handoff
from storage.leads import move_stage
from storage.models import HandoffRequest, Lead, StageChange, User
from tests.factories import make_lead, make_user

RULES = default_rules()
MQL, ACCEPT, NURTURE, REENGAGE, DISQUALIFY = (
    StageEvent.MARK_MQL,
    StageEvent.ACCEPT,
    StageEvent.RETURN_TO_NURTURE,
    StageEvent.REENGAGE,
    StageEvent.DISQUALIFY,
)


def actor_of(user: User | None) -> Actor:
    if user is None:
        return Actor.system("test")
    return Actor(kind=ActorKind.USER, label=user.email, user_id=user.id)


class Journeys:
    """Builds leads and moves them at given moments."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def lead(self, owner: User | None = None, **fields: Any) -> Lead:
        lead = make_lead(self.session, **fields)
        if owner is not None:
            lead.owner_id = owner.id
            self.session.add(lead)
            self.session.commit()
        return lead

    def move(
        self,
        lead: Lead,
        event: StageEvent,
        at: datetime,
        by: User | None = None,
        reason: str = "test",
    ) -> None:
        change = move_stage(
            session=self.session, lead=lead, event=event, actor=actor_of(by), reason=reason
        )
        change.at = at
        self.session.add(change)
        self.session.commit()

    def handoff(
        self,
        lead: Lead,
        *,
        by: User | None,
        manager: User,
        approve: bool,
        requested_at: datetime,
        decided_at: datetime,
    ) -> HandoffRequest:
        """A request by `by` (None: a qualifying chat) and a manager's decision."""
        request = request_handoff(session=self.session, lead=lead, actor=actor_of(by), rules=RULES)
        request.created_at = requested_at
        self.session.add(request)
        self.session.commit()
        last = self._last_change_id()
        decided = decide_handoff(
            session=self.session,
            request_id=request.id or 0,
            approve=approve,
            user=manager,
            comment="fits" if approve else "too early",
            rules=RULES,
        )
        decided.decided_at = decided_at
        self.session.add(decided)
        for change in self.session.exec(
            select(StageChange).where(col(StageChange.id) > last)
        ).all():
            change.at = decided_at
            self.session.add(change)
        self.session.commit()
        return decided

    def request(self, lead: Lead, *, by: User | None, at: datetime) -> HandoffRequest:
        request = request_handoff(session=self.session, lead=lead, actor=actor_of(by), rules=RULES)
        request.created_at = at
        self.session.add(request)
        self.session.commit()
        return request

    def _last_change_id(self) -> int:
        ids = self.session.exec(select(StageChange.id)).all()
        return max((i or 0 for i in ids), default=0)


FIRST_DAY = date(2030, 1, 7)  # a Monday
LAST_DAY = date(2030, 2, 3)  # a Sunday: four ISO weeks, 2030-W02 to 2030-W05
START = datetime(2030, 1, 7, tzinfo=UTC)
END = datetime(2030, 2, 4, tzinfo=UTC)


def day(days: float, hours: float = 0) -> datetime:
    """`days` and `hours` after the start of the period (negative: before it)."""
    return START + timedelta(days=days, hours=hours)


@dataclass
class Seeded:
    users: dict[str, User] = field(default_factory=dict)
    leads: dict[str, Lead] = field(default_factory=dict)


def seed_funnel(session: Session) -> Seeded:
    """The data set; the comments say what each journey tests."""
    j = Journeys(session)
    sam = make_user(session, role=Role.SDR, name="Sam Rivera")
    ria = make_user(session, role=Role.SDR, name="Ria Okafor")
    morgan = make_user(session, role=Role.MANAGER, name="Morgan Lee")
    out = Seeded(users={"sam": sam, "ria": ria, "morgan": morgan})
    spring = {"source_channel": "ads", "source_campaign": "Spring Launch"}
    webinar = {"source_channel": "webinar", "source_campaign": "Webinar Q1"}

    # L1: MQL → SAL → approved handoff → SQL, all in week 1.
    l1 = out.leads["l1"] = j.lead(sam, source_asset="ROI guide", **spring)
    j.move(l1, MQL, day(0, 9))
    j.move(l1, ACCEPT, day(1, 10), by=sam)
    j.handoff(l1, by=sam, manager=morgan, approve=True, requested_at=day(2), decided_at=day(3, 12))

    # L2: accepted, then returned to nurture (stays there).
    l2 = out.leads["l2"] = j.lead(sam, source_asset="Case study", **spring)
    j.move(l2, MQL, day(2, 9))
    j.move(l2, ACCEPT, day(2, 15), by=sam)
    j.move(l2, NURTURE, day(5, 9), by=sam, reason="No budget")

    # L3: a rejected handoff (stays SAL), then disqualified; a messy reason.
    l3 = out.leads["l3"] = j.lead(ria, source_asset="ROI guide", **webinar)
    j.move(l3, MQL, day(8, 9))
    j.move(l3, ACCEPT, day(9, 9), by=ria)
    j.handoff(
        l3, by=ria, manager=morgan, approve=False, requested_at=day(9, 12), decided_at=day(10, 9)
    )
    j.move(l3, DISQUALIFY, day(12, 9), by=ria, reason="  no BUDGET ")

    # L4: disqualified straight from MQL.
    l4 = out.leads["l4"] = j.lead(ria, **webinar)
    j.move(l4, MQL, day(9, 9))
    j.move(l4, DISQUALIFY, day(9, 20), by=ria, reason="Student")

    # L5: an MQL nobody owns that never moves on.
    l5 = out.leads["l5"] = j.lead(source_channel="seo")
    j.move(l5, MQL, day(15, 9))

    # L6: a journey before the period ended in nurture; re-engaged in the period (its entry),
    # then SAL and an approved handoff. The earlier nurture is not part of the cohort's numbers.
    l6 = out.leads["l6"] = j.lead(sam, source_campaign="Spring Launch")
    j.move(l6, MQL, day(-10))
    j.move(l6, ACCEPT, day(-9), by=sam)
    j.move(l6, NURTURE, day(-8), by=sam, reason="Timing")
    j.move(l6, REENGAGE, day(16, 9))
    j.move(l6, ACCEPT, day(17, 9), by=sam)
    j.handoff(l6, by=sam, manager=morgan, approve=True, requested_at=day(18), decided_at=day(20, 9))

    # L7: MQL twice in the period (counted once); its handoff is approved after the period.
    l7 = out.leads["l7"] = j.lead(ria, source_asset="ROI guide", **spring)
    j.move(l7, MQL, day(22, 9))
    j.move(l7, ACCEPT, day(23, 9), by=ria)
    j.move(l7, NURTURE, day(24, 9), by=ria, reason="no budget")
    j.move(l7, REENGAGE, day(25, 9))
    j.move(l7, ACCEPT, day(26, 9), by=ria)
    j.handoff(l7, by=ria, manager=morgan, approve=True, requested_at=day(27), decided_at=day(30))

    # L8: MQL before the period, accepted by Sam in it: not in the cohort, but Sam worked it.
    l8 = out.leads["l8"] = j.lead(
        source_channel="seo", source_campaign="Webinar Q1", source_asset="Case study"
    )
    j.move(l8, MQL, day(-2))
    j.move(l8, ACCEPT, day(1, 9), by=sam)

    # L9: MQL at the first instant of the period; padded campaign, empty asset; disqualified
    # after the period (still counted for the cohort, not among the period's reasons).
    l9 = out.leads["l9"] = j.lead(source_channel="ads", source_campaign=" Spring Launch ")
    l9.source_asset = ""
    session.add(l9)
    session.commit()
    j.move(l9, MQL, day(0))
    j.move(l9, DISQUALIFY, day(29), reason="Competitor")

    # L10: MQL at the first instant after the period: not in it.
    l10 = out.leads["l10"] = j.lead(source_channel="ads")
    j.move(l10, MQL, day(28))

    # L11: disqualified without ever being an MQL.
    l11 = out.leads["l11"] = j.lead(source_channel="ads")
    j.move(l11, DISQUALIFY, day(3), reason="Spam")

    # L12: a handoff request that is cancelled when the lead is disqualified (not a decision).
    l12 = out.leads["l12"] = j.lead(sam, **webinar)
    j.move(l12, MQL, day(4, 9))
    j.move(l12, ACCEPT, day(4, 10), by=sam)
    j.request(l12, by=sam, at=day(5))
    j.move(l12, DISQUALIFY, day(6, 9), by=sam, reason="No   budget")

    # L13: MQL before the period, returned to nurture early in it and re-engaged later (its
    # entry): the nurture before its entry is not one of the cohort's outcomes.
    l13 = out.leads["l13"] = j.lead(source_channel="events")
    j.move(l13, MQL, day(-3))
    j.move(l13, NURTURE, day(1), by=ria, reason="Not now")
    j.move(l13, REENGAGE, day(10))
    return out
