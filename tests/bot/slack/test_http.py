"""Slack Web API calls share one pool of connections while the app runs (bot.slack.http)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlmodel import func, select

from bot.slack.http import SlackHttp
from storage.hot_leads import DEMO_REQUEST, HOT
from storage.models import SlackPost
from storage.outbox import EVENT, enqueue
from tests.bot.slack.conftest import (
    SDR_CHANNEL,
    SlackBaton,
    listeners_done,
    running,
    slack_settings,
)
from tests.bot.slack.fake_slack import FakeSlack
from tests.bot.slack.signing import FORM, JSON, command_body, event_body, send
from tests.factories import make_lead, make_user


async def _until(done: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Whether `done()` comes true within `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not done():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def _posts_recorded(baton: SlackBaton) -> int:
    with baton.runtime.session() as session:
        return session.exec(select(func.count()).select_from(SlackPost)).one()


async def test_deliveries_and_listeners_reuse_one_connection_closed_at_shutdown(
    database_url: str, fake_slack: FakeSlack
) -> None:
    settings = slack_settings(database_url, fake_slack, outbox_worker=True)
    async with running(settings, fake_slack) as baton:
        http: SlackHttp = baton.app.state.slack_http
        with baton.runtime.session() as session:
            for _ in range(2):
                lead = make_lead(session)
                payload = {"lead_id": lead.id, "reason": DEMO_REQUEST}
                enqueue(session=session, kind=EVENT, topic=HOT, payload=payload)
            session.commit()
        # The first card is refused with a 429: the retry waits it out on the same connection.
        fake_slack.fail_next("chat.postMessage", retry_after=0)

        async with baton.app.router.lifespan_context(baton.app):
            # The app's outbox worker posts both cards (and records them once Slack answered).
            assert await _until(lambda: _posts_recorded(baton) == 2)
            event = {"type": "app_home_opened", "user": "U1", "tab": "home", "event_ts": "1.1"}
            response = await send(baton.client, event_body("Ev1", event), JSON)
            assert response.status_code == 200
            await fake_slack.wait_for("views.publish")
            await listeners_done()
            shared = http.session()
            assert shared is not None and not shared.closed
            peers = {call.peer for call in fake_slack.calls}
            assert len(peers) == 1, f"the calls came over {len(peers)} connections"
            (peer,) = peers
            assert peer not in fake_slack.ended  # kept alive between the calls

        posts = [(c.params["channel"], c.status) for c in fake_slack.of("chat.postMessage")]
        assert posts == [(SDR_CHANNEL, 429), (SDR_CHANNEL, 200), (SDR_CHANNEL, 200)]
        assert [c.method for c in fake_slack.calls][-2:] == ["auth.test", "views.publish"]
        assert shared.closed and http.session() is None
        assert await _until(lambda: peer in fake_slack.ended), "the connection outlived the app"


async def _session_in_a_loop_of_its_own(http: SlackHttp) -> bool:
    return http.session() is not None


async def test_no_session_is_shared_outside_the_run_or_its_event_loop() -> None:
    http = SlackHttp()
    assert http.session() is None  # slack_sdk then opens a session for the call alone
    async with http.running():
        shared = http.session()
        assert shared is not None and http.session() is shared
        in_another_loop = await asyncio.to_thread(asyncio.run, _session_in_a_loop_of_its_own(http))
        assert not in_another_loop
    assert shared.closed and http.session() is None
    async with http.running():  # run again (as a restarted app): a new session
        again = http.session()
        assert again is not None and again is not shared
    assert again.closed


async def test_stopping_the_app_lets_the_work_after_an_ack_finish_first(
    database_url: str, fake_slack: FakeSlack
) -> None:
    """A command acknowledged just before the server stops still gets its modal: the app's
    shutdown waits for the work queued after the ack before closing Slack's connections."""
    settings = slack_settings(database_url, fake_slack)
    async with running(settings, fake_slack) as baton:
        with baton.runtime.session() as session:
            make_user(session, slack_user_id="USDR")
            make_lead(session, email="dana@acme.io", name="Dana Scully")
        gate = fake_slack.hold("views.open")
        lifespan = baton.app.router.lifespan_context(baton.app)
        await lifespan.__aenter__()
        try:
            response = await send(baton.client, command_body("USDR", "dana@acme.io"), FORM)
            assert response.status_code == 200
            (opening,) = await fake_slack.wait_for("views.open")  # Slack has not answered yet
            stopping = asyncio.create_task(lifespan.__aexit__(None, None, None))
            await asyncio.sleep(0.3)
            assert not stopping.done(), "the app stopped with the modal still opening"
        finally:
            gate.set()
        await asyncio.wait_for(stopping, timeout=10)
    assert opening.answered and opening.ok
    assert opening.params["view"]["callback_id"] == "qualify"
    assert baton.app.state.slack_http.session() is None
