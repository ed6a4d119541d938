from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualification.parsers.result import Seniority
from qualification.parsers.seniority import parse_seniority

C, VP, DIR, MGR, IC = (
    Seniority.C_LEVEL,
    Seniority.VP,
    Seniority.DIRECTOR,
    Seniority.MANAGER,
    Seniority.INDIVIDUAL,
)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("CEO", C),
        ("Chief Financial Officer", C),
        ("CFO & Co-Founder", C),
        ("cto", C),
        ("Chief Revenue Officer", C),
        ("Founder", C),
        ("Owner", C),
        ("Business owner", C),
        ("President", C),
        ("Managing Director", C),
        ("VP of Sales", VP),
        ("Vice President, Marketing", VP),
        ("Vice-President Operations", VP),
        ("SVP Engineering", VP),
        ("EVP, Revenue", VP),
        ("Head of Growth", VP),
        ("Director of Product", DIR),
        ("Sr. Director, Demand Gen", DIR),
        ("Executive Director", DIR),
        ("Sales Manager", MGR),
        ("Engineering Mgr", MGR),
        ("Team Lead, Sales Engineering", MGR),
        ("Marketing lead", MGR),
        ("Customer Support Supervisor", MGR),
        ("Software Engineer", IC),
        ("Data Analyst", IC),
        ("Marketing Specialist", IC),
        ("Event Coordinator", IC),
        ("Account Executive", IC),
        ("SDR", IC),
        ("Product Owner", IC),
        ("Lead Generation Specialist", IC),
        ("Assistant to the CEO", IC),
        ("Executive Assistant", IC),
        ("", None),
        ("   ", None),
        ("Sales", None),
        ("Ninja", None),
        ("???", None),
    ],
)
def test_titles(title: str, expected: Seniority | None) -> None:
    assert parse_seniority(title) is expected


@given(st.text())
def test_never_raises(title: str) -> None:
    assert parse_seniority(title) in (None, *Seniority)


@given(st.sampled_from(["VP", "Head of", "Director of", "Chief"]), st.text(max_size=30))
def test_prefix_wins_over_any_suffix_department(prefix: str, department: str) -> None:
    # A department name never makes a title less senior than its leading rank, unless it
    # introduces "to ..." (an assistant) or names a more senior rank itself.
    result = parse_seniority(f"{prefix} {department}")
    assert result is not None
