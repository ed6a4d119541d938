"""CSV imports: every row checked first, rejected rows reported by line, all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col, func, select

from qualification.errors import InvalidInput
from qualification.lifecycle import Actor
from qualification.rules import default_rules
from storage.imports import ImportKind, ImportReport, import_csv
from storage.ledger import ledger_sum
from storage.models import BehaviourEvent, Lead, OutboxItem
from tests.factories import make_lead

NOW = datetime.now(UTC)
YESTERDAY = (NOW - timedelta(days=1)).isoformat()

LEADS = (
    "email,name,title,company_name,company_domain,industry,employee_count,annual_revenue,"
    "country,source_campaign,source_asset,source_channel\n"
    'jane@acme.io,Jane Doe,VP of Sales,Acme,ACME.io,software,250,"12,000,000",us,'
    "spring,ebook,paid\n"
    "bob@beta.example,Bob,,Beta,,,12,,,,,\n"
)


def run(
    session: Session, text: str | bytes, kind: ImportKind, *, skip: bool = False
) -> ImportReport:
    data = text.encode() if isinstance(text, str) else text
    report = import_csv(
        session=session,
        data=data,
        kind=kind,
        rules=default_rules(),
        now=NOW,
        actor=Actor.system("test"),
        skip_invalid=skip,
    )
    session.commit()
    return report


def count(session: Session, model: type[Lead] | type[BehaviourEvent]) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def test_good_leads_file_creates_and_scores_leads(session: Session) -> None:
    report = run(session, "\ufeff" + LEADS, ImportKind.LEADS)  # a BOM is fine
    assert report.applied and report.rejected == []
    assert (report.rows, report.imported, report.leads_created) == (2, 2, 2)
    jane = session.exec(select(Lead).where(Lead.email == "jane@acme.io")).one()
    assert (jane.company_domain, jane.country, jane.annual_revenue) == ("acme.io", "US", 12e6)
    assert jane.seniority == "vp" and jane.source_campaign == "spring"
    assert jane.score > 0 and jane.score == ledger_sum(session=session, lead_id=jane.id or 0)
    created = session.exec(select(OutboxItem).where(OutboxItem.topic == "lead.created")).all()
    assert len(created) == 2

    again = run(session, "email,employee_count\nJANE@acme.io,900\n", ImportKind.LEADS)
    assert (again.leads_created, again.leads_updated) == (0, 1)
    session.refresh(jane)
    assert jane.employee_count == 900 and jane.name == "Jane Doe"


def test_each_kind_of_bad_lead_row_is_reported_by_line_and_nothing_is_imported(
    session: Session,
) -> None:
    text = (
        "email,name,employee_count,annual_revenue,country\n"
        "ok@acme.io,Fine,10,100,US\n"
        "not-an-email,Bad Email,,,\n"
        "\n"
        "b@acme.io,Bad Count,lots,,\n"
        "c@acme.io,Bad Revenue,,-5,\n"
        "d@acme.io,Bad Country,,,Germany\n"
        '"e@acme.io","multi\nline name",1.5,,\n'
        "f@acme.io,Too,Many,Fields,Here,Really\n"
    )
    report = run(session, text, ImportKind.LEADS)
    assert not report.applied
    by_line = {r.line: " ".join(r.reasons) for r in report.rejected}
    assert set(by_line) == {3, 5, 6, 7, 8, 10}
    assert "not a valid email" in by_line[3]
    assert "employee_count 'lots' is not a number" in by_line[5]
    assert "annual_revenue" in by_line[6]
    assert "two-letter" in by_line[7]
    assert "whole number" in by_line[8]
    assert "expected 5 fields, found 6" in by_line[10]
    assert count(session, Lead) == 0


def test_skip_invalid_imports_the_valid_rows_and_still_reports(session: Session) -> None:
    report = run(session, "email\nok@acme.io\nbroken\n", ImportKind.LEADS, skip=True)
    assert report.applied and report.imported == 1
    assert [(r.line, r.reasons[0][:9]) for r in report.rejected] == [(3, "'broken' ")]
    assert count(session, Lead) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"email,nmae\na@b.io,x\n", "unknown columns: 'nmae'"),
        (b"name,title\nJane,VP\n", "missing required columns: email"),
        (b"", "empty"),
        (b"email,email\na@b.io,a@b.io\n", "more than once"),
        ("email,name\na@b.io,Jos\u00e9\n".encode("latin-1"), "not UTF-8"),
        ("email,name\na@b.io,Jos\u00e9\n".encode("utf-16"), "not UTF-8"),
    ],
)
def test_file_level_problems_are_one_clear_error(
    session: Session, data: bytes, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        run(session, data, ImportKind.LEADS)
    assert count(session, Lead) == 0


def test_events_file_is_idempotent_and_rescores_each_lead_once(session: Session) -> None:
    jane = make_lead(session, email="jane@acme.io", title="VP of Sales", country="US")
    text = (
        "email,kind,occurred_at,asset,url,idempotency_key\n"
        f"jane@acme.io,visit,{YESTERDAY},,https://acme.io/pricing,k1\n"
        f"jane@acme.io,demo_request,{YESTERDAY},,,k2\n"
        f"jane@acme.io,demo_request,{YESTERDAY},,,k2\n"
        f"new@beta.example,content_download,{YESTERDAY[:10]},guide,,\n"
    )
    report = run(session, text, ImportKind.EVENTS)
    assert report.applied
    assert (report.events_created, report.events_duplicate, report.leads_created) == (3, 1, 1)
    assert report.leads_scored == 2
    session.refresh(jane)
    assert jane.stage == "mql"
    assert jane.score == ledger_sum(session=session, lead_id=jane.id or 0)
    assert jane.last_activity_at is not None

    score = jane.score
    repeat = run(session, text, ImportKind.EVENTS)
    assert (repeat.events_created, repeat.events_duplicate) == (1, 3)  # the row without a key
    session.refresh(jane)
    assert jane.score == score
    keys = session.exec(select(BehaviourEvent.idempotency_key).order_by(col(BehaviourEvent.id)))
    assert [k for k in keys.all() if k] == ["k1", "k2"]


def test_bad_event_rows_are_reported_and_nothing_is_imported(session: Session) -> None:
    future = (NOW + timedelta(days=3)).isoformat()
    text = (
        "email,kind,occurred_at\n"
        f"a@acme.io,visit,{YESTERDAY}\n"
        f"a@acme.io,telepathy,{YESTERDAY}\n"
        "a@acme.io,visit,last tuesday\n"
        f"a@acme.io,visit,{future}\n"
        f"@acme.io,visit,{YESTERDAY}\n"
    )
    report = run(session, text, ImportKind.EVENTS)
    assert not report.applied
    reasons = {r.line: " ".join(r.reasons) for r in report.rejected}
    assert "kind 'telepathy' is not one of visit" in reasons[3]
    assert "not an ISO 8601" in reasons[4]
    assert "in the future" in reasons[5]
    assert "not a valid email" in reasons[6]
    assert count(session, Lead) == count(session, BehaviourEvent) == 0
    with pytest.raises(InvalidInput, match="missing required columns: kind, occurred_at"):
        run(session, "email\na@acme.io\n", ImportKind.EVENTS)


def test_a_large_file_imports_in_batches(session: Session) -> None:
    rows = "".join(f"lead{n}@bulk.example,Lead {n},Director of IT,{n % 900}\n" for n in range(1200))
    report = run(session, "email,name,title,employee_count\n" + rows, ImportKind.LEADS)
    assert report.applied and report.leads_created == 1200
    assert count(session, Lead) == 1200
    scored = session.exec(select(func.count()).where(col(Lead.rules_version).is_not(None))).one()
    assert scored == 1200
