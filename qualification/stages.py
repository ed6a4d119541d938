"""Lead stages and the vocabularies shared by every layer."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """Where a lead is in the marketing → sales funnel."""

    NEW = "new"
    MQL = "mql"
    SAL = "sal"
    SQL = "sql"
    NURTURE = "nurture"
    DISQUALIFIED = "disqualified"


class Dimension(StrEnum):
    """The four BANT dimensions."""

    BUDGET = "budget"
    AUTHORITY = "authority"
    NEED = "need"
    TIMELINE = "timeline"


class GivenBy(StrEnum):
    """Who supplied an answer. Later members outrank earlier ones."""

    ENRICHMENT = "enrichment"
    PROSPECT = "prospect"
    SDR = "sdr"

    @property
    def rank(self) -> int:
        return list(GivenBy).index(self)


class Role(StrEnum):
    """A Baton user's role."""

    SDR = "sdr"
    MANAGER = "manager"


class EventKind(StrEnum):
    """Behaviour signals marketing systems send about a lead."""

    VISIT = "visit"
    CONTENT_DOWNLOAD = "content_download"
    DEMO_REQUEST = "demo_request"
    EMAIL_OPEN = "email_open"
    EMAIL_CLICK = "email_click"
    UNSUBSCRIBE = "unsubscribe"
    BOUNCE = "bounce"


class HandoffStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


class Action(StrEnum):
    """What the engine recommends when a qualification flow ends."""

    HANDOFF = "handoff"
    NURTURE = "nurture"
    DISQUALIFY = "disqualify"
