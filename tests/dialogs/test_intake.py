"""Cleaning incoming answers: encoding, control characters, empty and very long text."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from dialogs.intake import CONTROL, CUT, EMPTY, MAX_ANSWER_CHARS, NOT_UTF8, clean_input


def test_invalid_utf8_is_refused() -> None:
    intake = clean_input(b"caf\xe9 50k")
    assert intake.text is None and intake.problem == NOT_UTF8


def test_valid_utf8_bytes_are_decoded() -> None:
    assert clean_input("about 50k €".encode()).text == "about 50k €"


def test_control_characters_are_removed_but_newlines_kept() -> None:
    intake = clean_input("about\x00 50k\x1b[31m\nper year\x07")
    assert intake.text == "about 50k[31m\nper year"
    assert intake.notices == (CONTROL,)


def test_empty_and_whitespace_only() -> None:
    for raw in ("", "   ", "\n\t\n", "\x00\x01"):
        intake = clean_input(raw)
        assert intake.text is None and intake.problem == EMPTY


def test_long_answer_is_cut_with_notice() -> None:
    intake = clean_input("x" * 10_000)
    assert intake.text == "x" * MAX_ANSWER_CHARS
    assert intake.notices == (CUT,)
    assert "2,000" in CUT


@given(st.text(max_size=3_000))
def test_cleaned_text_is_bounded_and_printable(raw: str) -> None:
    intake = clean_input(raw)
    if intake.text is None:
        assert intake.problem == EMPTY
        return
    assert 0 < len(intake.text) <= MAX_ANSWER_CHARS
    assert all(ch == "\n" or unicodedata.category(ch) != "Cc" for ch in intake.text)
    assert "\r" not in intake.text and "\x00" not in intake.text
