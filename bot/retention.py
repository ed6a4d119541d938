"""The daily retention purge, run from the outbox delivery loop of every app process.

Each process checks hourly; the database lets one of them purge per UTC day (see
storage.retention.purge_daily), so N workers do not purge N times.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from bot.runtime import Runtime
from storage.retention import PurgeReport, purge_daily

if TYPE_CHECKING:
    from bot.outbox import OutboxDispatcher

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 3600.0


def _purge(runtime: Runtime, now: datetime, days: int) -> PurgeReport | None:
    with runtime.session() as session:
        try:
            report = purge_daily(session=session, now=now, days=days)
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return report


async def retention_job(runtime: Runtime, now: datetime) -> None:
    """Purge conversations older than BATON_RETENTION_DAYS, once a day (0: keep forever)."""
    days = runtime.settings.retention_days
    if days <= 0:
        return
    report = await asyncio.to_thread(_purge, runtime, now, days)
    if report is not None:
        log.info(
            "retention: purged %d conversation(s) and %d message(s) that ended before %s",
            report.conversations,
            report.messages,
            report.cutoff.date().isoformat(),
        )


def register_retention(dispatcher: OutboxDispatcher) -> None:
    """Add the purge to the delivery loop's periodic jobs."""
    dispatcher.every(CHECK_EVERY_SECONDS, retention_job)
