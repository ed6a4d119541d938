"""The funnel page: charts with their numbers for a period, per-person numbers, escaping of
marketing-supplied names, date validation, and the CSV tables."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from qualification.lifecycle import StageEvent
from qualification.stages import Role
from storage.accounts import set_password
from storage.funnel import week_start
from tests.bot.dashboard.conftest import PASSWORD, Dashboard
from tests.bot.dashboard.pages import section, text
from tests.storage.funnel_seed import Journeys, Seeded, seed_funnel

PERIOD = {"from": "2030-01-07", "to": "2030-02-03"}
HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)></text><svg onload=alert(2)>"
CHARTS = (
    "funnel-chart",
    "channel-chart",
    "campaign-chart",
    "asset-chart",
    "weeks-chart",
    "stage-time-chart",
    "nurture-reasons-chart",
    "disqualified-reasons-chart",
    "people-chart",
)


def _seed(dash: Dashboard) -> Seeded:
    with dash.runtime.session() as session:
        seeded = seed_funnel(session)
        for user in seeded.users.values():
            set_password(session=session, user=user, password=PASSWORD)
        session.commit()
    return seeded


def _rows(html: str) -> dict[str, list[str]]:
    """A table's rows by their first cell: the other cells' text."""
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        cells = [text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        if cells:
            rows[cells[0]] = cells[1:]
    return rows


def _svg(html: str, chart_id: str) -> str:
    match = re.search(rf'<svg class="chart" id="{chart_id}".*?</svg>', html, re.S)
    assert match is not None, f"no chart #{chart_id}"
    return match.group(0)


async def test_a_manager_sees_every_chart_with_its_numbers(dash: Dashboard) -> None:
    seeded = _seed(dash)
    await dash.login(seeded.users["morgan"])
    page = await dash.page("/dashboard/funnel", **PERIOD)
    assert page.status_code == 200, page.text
    html = page.text
    assert "<script" not in html and "style=" not in html
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert '<a href="/dashboard/funnel" aria-current="page" class="current">Funnel</a>' in html

    for chart_id in CHARTS:
        svg = _svg(html, chart_id)
        assert f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in svg
        assert f'<title id="{chart_id}-title">' in svg and f'<desc id="{chart_id}-desc">' in svg

    funnel = _rows(section(html, "funnel"))
    assert funnel["MQL"] == ["10", "100%"]
    assert funnel["SAL"] == ["6", "60%"]
    assert funnel["SQL"] == ["3", "30%"]
    assert funnel["Nurture"] == ["2", "20%"]
    assert funnel["Disqualified"] == ["4", "40%"]
    assert funnel["SAL → SQL"] == ["", "50%"]
    # The chart says the same: one bar per stage, sized to the MQLs.
    svg = _svg(html, "funnel-chart")
    assert "Of 10 MQLs, 6 reached SAL (60%), 3 reached SQL (30%)" in svg
    assert re.findall(r'class="chart-value"[^>]*>([^<]*)<', svg) == [
        "10 · 100%",
        "6 · 60%",
        "3 · 30%",
        "2 · 20%",
        "4 · 40%",
    ]

    channels = _rows(section(html, "by-channel"))
    assert channels["ads"] == ["4", "3", "2", "2", "1", "75%", "50%"]
    assert channels["webinar"] == ["3", "2", "0", "0", "3", "66.7%", "0%"]
    assert channels["(none)"] == ["1", "1", "1", "0", "0", "100%", "100%"]
    assert _rows(section(html, "by-campaign"))["Spring Launch"][:3] == ["5", "4", "3"]
    assert _rows(section(html, "by-asset"))["ROI guide"][:3] == ["3", "3", "2"]
    weeks = _rows(section(html, "weeks"))
    assert weeks["2030-W02 Jan 07"] == ["4", "3", "1", "1", "2", "75%", "25%"]
    assert weeks["2030-W05 Jan 28"] == ["1", "1", "1", "1", "0", "100%", "100%"]
    times = _rows(section(html, "stage-times"))
    assert times["MQL"] == ["24 h", "10", "3"]
    assert times["SAL"] == ["2.4 d", "6", "2"]
    assert times["Nurture"] == ["9 d", "3", "1"]
    reasons = section(html, "reasons")
    assert "Returned to nurture: 3" in text(reasons) and "Disqualified: 4" in text(reasons)
    assert _rows(reasons)["no budget"] == ["2"] and _rows(reasons)["spam"] == ["1"]
    people = _rows(section(html, "people"))
    assert people["Sam Rivera sdr"] == ["5", "2", "0", "100%"]
    assert people["Ria Okafor sdr"] == ["4", "0", "1", "0%"]
    assert people["Morgan Lee manager"] == ["2", "0", "0", "—"]


async def test_an_sdr_sees_the_funnel_and_only_their_own_numbers(dash: Dashboard) -> None:
    seeded = _seed(dash)
    await dash.login(seeded.users["ria"])
    page = await dash.page("/dashboard/funnel", **PERIOD)
    assert page.status_code == 200, page.text
    assert _rows(section(page.text, "funnel"))["SQL"] == ["3", "30%"]
    people = section(page.text, "people")
    assert "Your numbers" in text(people)
    assert _rows(people) == {
        "Person": ["Leads worked", "SQLs approved", "Rejected", "Approval rate"],
        "Ria Okafor sdr": ["4", "0", "1", "0%"],
    }
    assert "Sam Rivera" not in page.text and "Morgan Lee" not in page.text
    export = await dash.client.get("/dashboard/funnel.csv", params={**PERIOD, "table": "people"})
    assert [row["name"] for row in csv.DictReader(io.StringIO(export.text))] == ["Ria Okafor"]


async def test_the_default_period_is_the_last_twelve_weeks_and_names_are_escaped(
    dash: Dashboard,
) -> None:
    manager = dash.account(role=Role.MANAGER)
    now = datetime.now(UTC)
    with dash.runtime.session() as session:
        journeys = Journeys(session)
        lead = journeys.lead(
            source_channel="ads", source_campaign=HOSTILE, source_asset="=HYPERLINK(1)"
        )
        journeys.move(lead, StageEvent.MARK_MQL, now - timedelta(days=1))
        journeys.move(lead, StageEvent.DISQUALIFY, now - timedelta(hours=1), reason=HOSTILE)
        old = journeys.lead(source_channel="ads", source_campaign="Last year")
        journeys.move(old, StageEvent.MARK_MQL, now - timedelta(weeks=13))
    await dash.login(manager)
    page = await dash.page("/dashboard/funnel")
    assert page.status_code == 200
    html = page.text
    first = (week_start(now) - timedelta(weeks=11)).date().isoformat()
    assert f'name="from" value="{first}"' in html
    assert f'name="to" value="{now.date().isoformat()}"' in html
    assert _rows(section(html, "funnel"))["MQL"] == ["1", "100%"]
    assert "Last year" not in html

    assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html
    campaign = section(html, "by-campaign")
    assert HOSTILE in _rows(campaign)  # shown as typed in the table
    svg = _svg(html, "campaign-chart")
    assert text(svg).count(HOSTILE[:27]) >= 1  # the label, shortened, and in full as a tooltip
    assert f"<title>{HOSTILE}" not in svg and "&lt;script&gt;" in svg
    reasons = _svg(html, "disqualified-reasons-chart")
    assert "&lt;svg onload=alert(2)&gt;" in reasons and "<svg onload" not in reasons

    export = await dash.client.get("/dashboard/funnel.csv", params={"table": "asset"})
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[0] == ["value", "mql", "sal", "sql", "nurture", "disqualified"] + [
        "sal_share",
        "sql_share",
    ]
    assert rows[1] == ["'=HYPERLINK(1)", "1", "0", "0", "0", "1", "0.0000", "0.0000"]


async def test_bad_dates_are_refused_with_a_clear_message(dash: Dashboard) -> None:
    await dash.login(dash.account(role=Role.SDR))
    cases = {
        ("2030-13-45", "2030-02-03"): 'The start date "2030-13-45" is not a date: use YYYY-MM-DD',
        ("last week", ""): 'The start date "last week" is not a date',
        ("2030-01-07", "20300203"): 'The end date "20300203" is not a date',
        ("2030-02-04", "2030-02-03"): "The start date must not be after the end date.",
        ("2027-01-01", "2030-02-03"): "Choose a period of at most two years.",
    }
    for (first, last), message in cases.items():
        page = await dash.page("/dashboard/funnel", **{"from": first, "to": last})
        assert page.status_code == 422, (first, last)
        alert = re.search(r'<p class="alert" role="alert">(.*?)</p>', page.text, re.S)
        assert alert is not None and message in text(alert.group(1)), (first, last)
        assert f'name="from" value="{first}"' in page.text  # kept for correcting
        assert 'id="funnel"' not in page.text  # no numbers for a period that is not one

    export = await dash.page("/dashboard/funnel.csv", **{"from": "2030-02-04", "to": "2030-02-03"})
    assert export.status_code == 422
    assert "the start date must not be after the end date" in text(export.text)
    unknown = await dash.page("/dashboard/funnel.csv", table="secrets")
    assert unknown.status_code == 404


async def test_the_funnel_needs_a_login(dash: Dashboard) -> None:
    page = await dash.page("/dashboard/funnel", **PERIOD)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/dashboard/login?next=%2Fdashboard%2Ffunnel")
    export = await dash.client.get("/dashboard/funnel.csv")
    assert export.status_code == 401
