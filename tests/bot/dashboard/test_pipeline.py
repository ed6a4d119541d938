"""The pipeline: leads by stage with counts, filters, search, pages and the CSV export."""

from __future__ import annotations

import csv
import io
import re

from sqlmodel import Session

from qualification.lifecycle import Actor, StageEvent
from qualification.stages import Role
from storage.leads import move_stage
from storage.models import Lead, User
from tests.bot.dashboard.conftest import Dashboard
from tests.bot.dashboard.pages import text
from tests.factories import make_lead


def _own(session: Session, lead: Lead, user: User) -> None:
    lead.owner_id = user.id
    session.add(lead)
    session.commit()


def _to_mql(session: Session, lead: Lead) -> None:
    move_stage(
        session=session,
        lead=lead,
        event=StageEvent.MARK_MQL,
        actor=Actor.system("test"),
        reason="test",
    )
    session.commit()


def _names(html: str) -> list[str]:
    return [text(n) for n in re.findall(r'<a href="/dashboard/leads/\d+">(.*?)</a>', html)]


def _counts(html: str) -> dict[str, int]:
    return {s: int(n) for s, n in re.findall(r'data-stage="(\w+)">(\d+)<', html)}


async def test_leads_by_stage_with_counts_owner_and_filters(dash: Dashboard) -> None:
    sdr = dash.account(role=Role.SDR, name="Sam Rivera")
    with dash.runtime.session() as session:
        acme = make_lead(session, name="Ada Acme", company_name="Acme Corp", source_channel="ads")
        _to_mql(session, acme)
        _own(session, acme, sdr)
        make_lead(session, name="Bo Beta", company_name="Beta 100%_ Ltd", source_channel="seo")
        make_lead(session, name="Cy Gamma", company_name="Gamma", email="cy@ACME.example")
    await dash.login(sdr)

    page = await dash.page("/dashboard/leads")
    assert page.status_code == 200
    assert _counts(page.text) == {
        "new": 2,
        "mql": 1,
        "sal": 0,
        "sql": 0,
        "nurture": 0,
        "disqualified": 0,
    }
    assert sorted(_names(page.text)) == ["Ada Acme", "Bo Beta", "Cy Gamma"]
    row = text(re.search(r"<tr>\s*<td><a[^>]*>Ada Acme.*?</tr>", page.text, re.S).group(0))  # type: ignore[union-attr]
    assert "Acme Corp" in row and "MQL" in row and "Sam Rivera" in row and "ads" in row

    only_mql = await dash.page("/dashboard/leads", stage="mql")
    assert _names(only_mql.text) == ["Ada Acme"]
    assert _counts(only_mql.text)["new"] == 2  # the counts ignore the stage filter
    assert _names((await dash.page("/dashboard/leads", owner="me")).text) == ["Ada Acme"]
    assert sorted(_names((await dash.page("/dashboard/leads", owner="none")).text)) == [
        "Bo Beta",
        "Cy Gamma",
    ]
    assert _names((await dash.page("/dashboard/leads", source="seo")).text) == ["Bo Beta"]
    # Search: name, email or company, any case; % and _ are plain characters.
    assert sorted(_names((await dash.page("/dashboard/leads", q="acme")).text)) == [
        "Ada Acme",
        "Cy Gamma",
    ]
    assert _names((await dash.page("/dashboard/leads", q="100%_")).text) == ["Bo Beta"]
    assert _names((await dash.page("/dashboard/leads", q="%")).text) == ["Bo Beta"]
    assert (await dash.page("/dashboard/leads", stage="hot")).status_code == 422


async def test_pages_of_fifty_most_recent_first(dash: Dashboard) -> None:
    with dash.runtime.session() as session:
        for n in range(55):
            make_lead(session, name=f"Lead {n:02d}")
    await dash.login(dash.account())
    first = await dash.page("/dashboard/leads")
    names = _names(first.text)
    assert len(names) == 50
    assert names[0] == "Lead 54"
    assert "page 1 of 2" in text(first.text)
    second = await dash.page("/dashboard/leads", page="2")
    assert _names(second.text) == [f"Lead {n:02d}" for n in range(4, -1, -1)]
    assert 'rel="prev"' in second.text and 'rel="next"' not in second.text


async def test_the_csv_export_is_the_current_view_and_safe_for_spreadsheets(
    dash: Dashboard,
) -> None:
    with dash.runtime.session() as session:
        make_lead(
            session, name='=HYPERLINK("http://evil")', company_name="Evil", source_channel="ads"
        )
        make_lead(session, name="Plain Person", company_name="Fine", source_channel="seo")
    await dash.login(dash.account())
    response = await dash.client.get("/dashboard/leads.csv", params={"source": "ads"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["name"] for r in rows] == ['\'=HYPERLINK("http://evil")']
    assert rows[0]["source_channel"] == "ads"
    assert rows[0]["stage"] == "new"
    everything = await dash.client.get("/dashboard/leads.csv")
    assert len(list(csv.DictReader(io.StringIO(everything.text)))) == 2
    page = await dash.page("/dashboard/leads", source="ads")
    assert 'href="/dashboard/leads.csv?source=ads"' in page.text
