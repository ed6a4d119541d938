"""Events API: App Home, and a retried delivery of the same event applied once."""

from __future__ import annotations

from sqlmodel import select

from qualification.stages import Role
from storage.models import SlackEvent
from tests.bot.slack.conftest import SlackBaton
from tests.bot.slack.signing import JSON, event_body, send
from tests.factories import make_lead, make_user


def _home_opened(user: str) -> dict[str, str]:
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D1",
        "tab": "home",
        "event_ts": "1700000000.000001",
    }


async def test_a_retried_event_is_applied_once(baton: SlackBaton) -> None:
    with baton.runtime.session() as session:
        make_user(session, slack_user_id="UBOSS", role=Role.MANAGER)
    body = event_body("Ev0001", _home_opened("UBOSS"))
    first = await send(baton.client, body, JSON)
    assert first.status_code == 200
    await baton.slack.wait_for("views.publish")
    retry = await send(
        baton.client,
        body,
        JSON,
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert retry.status_code == 200
    other = await send(baton.client, event_body("Ev0002", _home_opened("UBOSS")), JSON)
    assert other.status_code == 200
    await baton.slack.wait_for("views.publish", 2)
    assert len(baton.slack.of("views.publish")) == 2
    with baton.runtime.session() as session:
        ids = [e.event_id for e in session.exec(select(SlackEvent)).all()]
        assert sorted(ids) == ["Ev0001", "Ev0002"]


async def test_app_home_shows_a_managers_pending_approvals(baton: SlackBaton) -> None:
    with baton.runtime.session() as session:
        make_user(session, slack_user_id="UBOSS", role=Role.MANAGER)
        make_lead(session, name="Nobody Pending")
    await send(baton.client, event_body("Ev0003", _home_opened("UBOSS")), JSON)
    (publish,) = await baton.slack.wait_for("views.publish")
    assert publish.params["user_id"] == "UBOSS"
    blocks = publish.params["view"]["blocks"]
    texts = [b["text"]["text"] for b in blocks if "text" in b]
    assert blocks[0]["type"] == "header" and texts[0] == "Pending approvals (0)"
    assert "Nothing waiting." in texts


async def test_app_home_for_a_stranger_explains_how_to_join(baton: SlackBaton) -> None:
    await send(baton.client, event_body("Ev0004", _home_opened("USTRANGER")), JSON)
    (publish,) = await baton.slack.wait_for("views.publish")
    assert "--slack-id USTRANGER" in str(publish.params["view"])
