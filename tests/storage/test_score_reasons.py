"""The biggest score reasons that the hot-lead and handoff cards list."""

from __future__ import annotations

from sqlmodel import Session

from storage.models import ScoreEntry
from storage.score_reasons import reason_line, top_reasons
from tests.factories import make_lead


def _entry(session: Session, lead_id: int, rule_id: str, points: int, note: str) -> None:
    session.add(
        ScoreEntry(
            lead_id=lead_id,
            rule_id=rule_id,
            rules_version="test",
            category="fit",
            points=points,
            cause_kind="lead",
            note=note,
        )
    )


def test_a_note_carries_the_sum_of_its_rule_instead_of_its_own_points() -> None:
    assert reason_line("VP of Sales (+15)", 25) == "VP of Sales (+25)"
    assert reason_line("Unsubscribed (−5) ", 3) == "Unsubscribed (+3)"
    assert reason_line("Demo request", 20) == "Demo request (+20)"


def test_the_rules_that_added_most_come_first_summed_and_only_positive(session: Session) -> None:
    lead = make_lead(session, email="dana@acme.io")  # scored on creation: fit entries too
    lead_id = lead.id or 0
    _entry(session, lead_id, "t.seniority", 900, "VP of Sales (+900)")
    _entry(session, lead_id, "t.visits", 400, "Visited pricing")
    _entry(session, lead_id, "t.demo", 1000, "Demo request (+1000)")
    _entry(session, lead_id, "t.size", 800, "")
    _entry(session, lead_id, "t.visits", 400, "Visited pricing twice")
    _entry(session, lead_id, "t.decay", -5000, "Inactive for 30 days")
    session.commit()
    assert top_reasons(session=session, lead_id=lead_id, limit=4) == (
        "Demo request (+1000)",
        "VP of Sales (+900)",
        "Visited pricing twice (+800)",  # ties with t.size, which scored later
        "t.size (+800)",  # no note: the rule names itself
    )
    everything = top_reasons(session=session, lead_id=lead_id, limit=100)
    assert not any("Inactive" in line for line in everything)
    assert len(top_reasons(session=session, lead_id=lead_id)) == 3
