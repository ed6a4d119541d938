"""The erasure log: who erased what, when and why, as counts of the rows that went.

Each erasure (storage.privacy) and each retention purge that deleted something writes one
`erasures` row in its own transaction, so the log and the deletion commit or roll back together.
The log holds no personal data of the people erased: a tombstone's id, an actor label (staff or
a machine client), a basis and numbers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from qualification.lifecycle import Actor
from storage.models import Erasure

REQUEST = "request"  # the person (or someone on their behalf) asked
RETENTION = "retention"  # data older than the retention period
BASES = (REQUEST, RETENTION)


def record_erasure(
    *,
    session: Session,
    lead_id: int | None,
    actor: Actor,
    basis: str,
    removed: dict[str, int],
    at: datetime,
) -> Erasure:
    """Log an erasure in the caller's transaction (the caller commits)."""
    if basis not in BASES:
        raise ValueError(f"unknown erasure basis {basis!r}; one of {', '.join(BASES)}")
    entry = Erasure(
        lead_id=lead_id,
        erased_at=at,
        actor=str(actor)[:200],
        basis=basis,
        removed={kind: int(count) for kind, count in removed.items()},
    )
    session.add(entry)
    session.flush()
    return entry


def erasure_entry(entry: Erasure) -> dict[str, Any]:
    """One log entry as JSON."""
    return {
        "id": entry.id,
        "lead_id": entry.lead_id,
        "erased_at": entry.erased_at.isoformat(),
        "actor": entry.actor,
        "basis": entry.basis,
        "removed": dict(entry.removed),
    }


def erasure_log(*, session: Session, lead_id: int | None = None) -> list[dict[str, Any]]:
    """The erasure log (of one lead, or all of it), oldest first."""
    query = select(Erasure)
    if lead_id is not None:
        query = query.where(Erasure.lead_id == lead_id)
    return [erasure_entry(e) for e in session.exec(query.order_by(col(Erasure.id))).all()]
