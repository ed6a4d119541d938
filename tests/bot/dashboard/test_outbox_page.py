"""The outbox page: managers see what is waiting, retrying and dead, and retry dead items."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.dashboard.outbox import error_text, payload_ids
from qualification.stages import Role
from storage.models import OutboxItem
from storage.outbox import enqueue
from storage.outbox_worker import defer, mark_done, mark_failed
from tests.bot.dashboard.conftest import HTML, Dashboard
from tests.bot.dashboard.pages import csrf_token, section, text

PERSON = {"email": "secret.person@example.org", "name": "Secret Person"}
HOSTILE = "<script>alert('outbox')</script> HTTP 500 from crm.example.com"
TRACE = f'{HOSTILE}\nTraceback (most recent call last):\n  File "x.py", line 1\nBoom: {"x" * 300}'


@dataclass(frozen=True)
class Items:
    dead: int
    retrying: int
    overdue: int
    done: int
    waiting: int  # due soon: neither retrying nor overdue


def _queue(dash: Dashboard, topic: str, **payload: object) -> int:
    with dash.runtime.session() as session:
        item = enqueue(session=session, kind="webhook", topic=topic, payload=dict(payload))
        session.commit()
        assert item.id is not None
        return item.id


def _seed(dash: Dashboard) -> Items:
    """One item in each state, each payload carrying a person's data the page must not show."""
    now = datetime.now(UTC)
    body = {"event": "lead.stage_changed", "data": {"lead": PERSON}}
    ids = [
        _queue(dash, "webhook.deliver", endpoint_id=3, event_id=40 + n, **body) for n in range(5)
    ]
    dead, retrying, overdue, done, waiting = ids
    with dash.runtime.session() as session:
        mark_failed(session=session, item_id=dead, error="first try failed", now=now)
        mark_failed(session=session, item_id=dead, error=TRACE, now=now, max_attempts=2)
        mark_failed(
            session=session, item_id=retrying, error="HTTP 503 from crm.example.com", now=now
        )
        defer(session=session, item_id=overdue, until=now - timedelta(minutes=30))
        mark_done(session=session, item_id=done, now=now)
        session.commit()
    return Items(dead=dead, retrying=retrying, overdue=overdue, done=done, waiting=waiting)


def _state(dash: Dashboard, item_id: int) -> tuple[str, int, datetime, str | None]:
    with dash.runtime.session() as session:
        item = session.get(OutboxItem, item_id)
        assert item is not None
        return item.status, item.attempts, item.next_attempt_at, item.last_error


def _row(html: str, element_id: str) -> str:
    """What a browser shows of the table row <tr id=…>."""
    match = re.search(rf'<tr id="{re.escape(element_id)}">(.*?)</tr>', html, re.S)
    assert match is not None, f"no row #{element_id}"
    return text(match.group(1))


async def _as_manager(dash: Dashboard) -> None:
    await dash.login(dash.account(role=Role.MANAGER))


async def test_a_manager_sees_counts_and_items_without_personal_data(dash: Dashboard) -> None:
    items = _seed(dash)
    await _as_manager(dash)
    page = await dash.page("/dashboard/outbox")
    assert page.status_code == 200, page.text
    html = page.text

    counts = text(section(html, "counts"))
    assert "Pending 3" in counts and "Done 1" in counts and "Dead 1" in counts

    late = section(html, "late")
    assert f'id="late-{items.retrying}"' in late and f'id="late-{items.overdue}"' in late
    assert f"late-{items.waiting}" not in late and f"late-{items.dead}" not in late
    retrying = _row(late, f"late-{items.retrying}")
    assert "retrying" in retrying and "webhook.deliver" in retrying
    assert "endpoint 3 · event 41" in retrying and "HTTP 503 from crm.example.com" in retrying
    assert "overdue" in _row(late, f"late-{items.overdue}")

    dead = section(html, "dead")
    row = _row(dead, f"dead-{items.dead}")
    assert row.startswith(f"#{items.dead} webhook.deliver webhook endpoint 3 · event 40 2 ")
    # The error is text: escaped, its first lines shown, the whole of it behind "Full error".
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;outbox&#39;)&lt;/script&gt;" in dead
    assert f"{HOSTILE} Traceback (most recent call last): Full error" in row
    assert "x" * 300 in row  # in the <details>
    assert "<details" in dead and "Retry" in row

    for secret in (*PERSON.values(), "lead.stage_changed"):
        assert secret not in html
    assert 'aria-current="page" class="current">Outbox<' in html


async def test_retry_makes_a_dead_item_pending_with_fresh_attempts(dash: Dashboard) -> None:
    items = _seed(dash)
    await _as_manager(dash)
    token = await dash.token("/dashboard/outbox")
    before = datetime.now(UTC)

    response = await dash.client.post(
        f"/dashboard/outbox/{items.dead}/retry", data={"csrf_token": token}, headers=HTML
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/dashboard/outbox?retried={items.dead}"
    status, attempts, due, error = _state(dash, items.dead)
    assert (status, attempts) == ("pending", 0)
    assert before - timedelta(seconds=5) <= due <= datetime.now(UTC)
    assert error == TRACE  # kept until the next attempt says otherwise

    page = await dash.page(response.headers["location"])
    notice = text(page.text.split('data-testid="notice">')[1].split("</p>")[0])
    assert notice == (
        f"Outbox item #{items.dead} (webhook.deliver) is pending again,"
        " with a fresh set of attempts."
    )
    assert "No item has given up." in text(section(page.text, "dead"))
    assert "Dead 0" in text(section(page.text, "counts"))

    # A second click (or another manager) finds it no longer dead: nothing changes.
    again = await dash.client.post(
        f"/dashboard/outbox/{items.dead}/retry", data={"csrf_token": token}, headers=HTML
    )
    assert again.headers["location"] == f"/dashboard/outbox?stale={items.dead}"
    stale = await dash.page(again.headers["location"])
    assert "was not dead any more (it is pending); nothing was changed" in text(stale.text)
    assert _state(dash, items.dead)[:2] == ("pending", 0)

    missing = await dash.client.post(
        "/dashboard/outbox/999999/retry", data={"csrf_token": token}, headers=HTML
    )
    assert missing.status_code == 404 and "no outbox item 999999" in text(missing.text)


@pytest.mark.parametrize("token", [None, "", "forged-token"])
async def test_a_retry_without_the_forms_token_changes_nothing(
    dash: Dashboard, token: str | None
) -> None:
    items = _seed(dash)
    await _as_manager(dash)
    real = await dash.token("/dashboard/outbox")
    before = _state(dash, items.dead)
    data = {} if token is None else {"csrf_token": token}
    response = await dash.client.post(
        f"/dashboard/outbox/{items.dead}/retry", data=data, headers=HTML
    )
    assert response.status_code == 403
    assert "Form rejected" in text(response.text)
    assert _state(dash, items.dead) == before == ("dead", 2, before[2], TRACE)
    assert real != token


async def test_an_sdr_can_neither_see_nor_retry(dash: Dashboard) -> None:
    items = _seed(dash)
    await dash.login(dash.account(role=Role.SDR))
    assert "Outbox" not in text((await dash.page("/dashboard/leads")).text)
    page = await dash.page("/dashboard/outbox")
    assert page.status_code == 403
    assert "only managers" in text(page.text) and "webhook.deliver" not in page.text

    token = csrf_token((await dash.page("/dashboard/leads")).text)  # a valid token of theirs
    before = _state(dash, items.dead)
    response = await dash.client.post(
        f"/dashboard/outbox/{items.dead}/retry", data={"csrf_token": token}, headers=HTML
    )
    assert response.status_code == 403
    assert _state(dash, items.dead) == before


async def test_without_a_login_the_page_sends_you_to_log_in(dash: Dashboard) -> None:
    items = _seed(dash)
    page = await dash.client.get("/dashboard/outbox", headers=HTML)
    assert page.status_code == 303
    assert page.headers["location"] == "/dashboard/login?next=%2Fdashboard%2Foutbox"
    assert "webhook.deliver" not in page.text
    token = await dash.login_form()  # a pre-session token does not make a retry
    response = await dash.client.post(
        f"/dashboard/outbox/{items.dead}/retry", data={"csrf_token": token}, headers=HTML
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login"
    assert _state(dash, items.dead)[:2] == ("dead", 2)


def test_errors_show_their_first_lines_and_the_rest_on_request() -> None:
    assert error_text(None) is None and error_text("  \n") is None
    short = error_text("HTTP 500 from crm.example.com")
    assert (
        short is not None
        and short.head == ("HTTP 500 from crm.example.com",)
        and short.full is None
    )
    long = error_text(TRACE)
    assert long is not None and long.full == TRACE
    assert long.head == (HOSTILE, "Traceback (most recent call last):")
    wide = error_text("y" * 500)
    assert wide is not None and wide.head == ("y" * 199 + "…",) and wide.full == "y" * 500


def test_only_top_level_ids_of_a_payload_are_shown() -> None:
    payload = {
        "endpoint_id": 3,
        "event_id": 12,
        "lead_id": 7,
        "flag_id": True,
        "external_id": "someone@example.org",
        "data": {"request_id": 9, "email": "someone@example.org"},
    }
    assert payload_ids(payload) == "endpoint 3 · event 12 · lead 7"
    assert payload_ids({"email": "someone@example.org"}) == ""
