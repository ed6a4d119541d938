"""The daily retention purge, run from the outbox delivery loop of every app process.

Each process checks hourly; the database lets one of them purge per UTC day (see
storage.retention.purge_daily), so N workers do not purge N times. Dashboard sessions that
ended or expired a while ago are deleted by the same loop (a plain DELETE, harmless to repeat).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.runtime import Runtime
from storage.dashboard_sessions import purge_sessions
from storage.retention import PurgeReport, purge_daily

if TYPE_CHECKING:
    from bot.outbox import OutboxDispatcher

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 3600.0
KEEP_ENDED_SESSIONS = timedelta(days=30)  # long enough to look into a suspicious login


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


def _purge_sessions(runtime: Runtime, now: datetime) -> int:
    with runtime.session() as session:
        gone = purge_sessions(session=session, now=now, keep=KEEP_ENDED_SESSIONS)
        session.commit()
    return gone


async def session_purge_job(runtime: Runtime, now: datetime) -> None:
    """Delete dashboard sessions that ended or expired more than 30 days ago."""
    gone = await asyncio.to_thread(_purge_sessions, runtime, now)
    if gone:
        log.info("retention: deleted %d old dashboard session(s)", gone)


def register_retention(dispatcher: OutboxDispatcher) -> None:
    """Add the purges to the delivery loop's periodic jobs."""
    dispatcher.every(CHECK_EVERY_SECONDS, retention_job)
    dispatcher.every(CHECK_EVERY_SECONDS, session_purge_job)
