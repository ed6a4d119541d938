"""Seniority of a job title, for fit scoring and for reading authority answers.

Levels, most senior first: c_level (CEO/CFO/… "Chief X", founder, owner, president, managing
director, general manager), vp (VP, SVP, EVP, Vice President, and "Head of X", which in most
companies reports to the C-level), director, manager (manager, team lead, supervisor) and
individual (engineer, analyst, specialist, coordinator, rep…). A title that names none of these
("Sales", "Ninja") has no seniority: None, never a guess.
"""

from __future__ import annotations

import re

from qualification.parsers.result import Seniority

# Checked in order: the first level whose pattern matches wins, so "Director of Product" is a
# director and "Team Lead, Sales Engineering" a manager.
_LEVELS: tuple[tuple[Seniority, re.Pattern[str]], ...] = (
    (
        Seniority.C_LEVEL,
        re.compile(
            r"\b(c[a-z]o|chief|co-?founder|founder|founding partner|managing partner"
            r"|(?<!product )(?<!process )(?<!data )owner|president"
            r"|managing director|general manager)\b"
        ),
    ),
    (Seniority.VP, re.compile(r"\b(vp|svp|evp|avp|vice[- ]president|head of|head)\b")),
    (Seniority.DIRECTOR, re.compile(r"\b(director|dir)\b")),
    (
        Seniority.MANAGER,
        re.compile(r"\b(manager|mgr|team lead|team leader|lead(?! gen)|supervisor|foreman)\b"),
    ),
    (
        Seniority.INDIVIDUAL,
        re.compile(
            r"\b(engineer|analyst|specialist|coordinator|associate|representative|rep"
            r"|consultant|developer|administrator|admin|assistant|executive|designer"
            r"|marketer|accountant|intern|sdr|bdr|ae|owner|scientist|architect|officer"
            r"|agent|technician|recruiter|writer|researcher|programmer|clerk|buyer)\b"
        ),
    ),
)
_VICE = re.compile(r"\bvice[- ]president\b")
# "Assistant to the CEO" describes the assistant, not the CEO.
_TO_SOMEONE = re.compile(r" to (the )?.*$")


def parse_seniority(title: str) -> Seniority | None:
    """The seniority a job title implies ("VP of Sales" → VP), or None when it does not say."""
    text = " ".join(re.sub(r"[^\w&+-]+", " ", str(title).lower()).split())
    text = _TO_SOMEONE.sub("", text)
    if not text:
        return None
    if _VICE.search(text):  # "vice president" must not be read as "president"
        return Seniority.VP
    for level, pattern in _LEVELS:
        if pattern.search(text):
            return level
    return None
