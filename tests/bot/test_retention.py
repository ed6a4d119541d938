"""The outbox delivery loop runs the daily retention purge (BATON_RETENTION_DAYS) and deletes
old dashboard sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.outbox import build_dispatcher
from bot.runtime import build_runtime
from bot.settings import Settings
from qualification.stages import GivenBy
from storage.dashboard_sessions import open_session
from storage.models import Conversation, DashboardSession
from tests.factories import make_lead, make_user


@pytest.mark.parametrize(("days", "purged"), [(730, True), (0, False)])
async def test_the_delivery_loop_purges_old_transcripts_daily(
    database_url: str, days: int, purged: bool
) -> None:
    rt = build_runtime(Settings(database_url=database_url, retention_days=days))
    try:
        with rt.session() as session:
            lead = make_lead(session)
            prompt = rt.dialogs.start(
                session=session, lead=lead, channel="web", given_by=GivenBy.PROSPECT
            )
        dispatcher = build_dispatcher(rt)
        await dispatcher.run_periodic(rt, datetime.now(UTC) + timedelta(days=1))
        with rt.session() as session:  # ended yesterday: kept for now
            assert session.get(Conversation, prompt.conversation_id) is not None
        await dispatcher.run_periodic(rt, datetime.now(UTC) + timedelta(days=731))
        with rt.session() as session:
            gone = session.get(Conversation, prompt.conversation_id) is None
        assert gone is purged
    finally:
        rt.engine.dispose()


async def test_the_delivery_loop_deletes_old_dashboard_sessions(database_url: str) -> None:
    rt = build_runtime(Settings(database_url=database_url, retention_days=0))
    try:
        now = datetime.now(UTC)
        with rt.session() as session:
            user = make_user(session)
            assert user.id is not None
            open_session(session=session, user_id=user.id, now=now, lifetime=timedelta(hours=12))
            session.commit()
        dispatcher = build_dispatcher(rt)
        await dispatcher.run_periodic(rt, now + timedelta(days=29))
        with rt.session() as session:  # expired, but kept a while for inquiries
            assert len(session.exec(select(DashboardSession)).all()) == 1
        await dispatcher.run_periodic(rt, now + timedelta(days=31))
        with rt.session() as session:
            assert session.exec(select(DashboardSession)).all() == []
    finally:
        rt.engine.dispose()


def test_retention_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().retention_days == 730
    monkeypatch.setenv("BATON_RETENTION_DAYS", "90")
    assert Settings().retention_days == 90
    monkeypatch.setenv("BATON_RETENTION_DAYS", "-1")
    with pytest.raises(ValueError, match="retention_days"):
        Settings()
