"""CSV cells that spreadsheets show as text, never run as formulas."""

from __future__ import annotations

import csv
import io

import pytest

from bot.dashboard.exports import cell
from qualification.csvcells import csv_cell, csv_text


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil.example","click")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
        "\uff1d1+1",  # full-width equals
    ],
)
def test_formula_like_text_is_quoted(text: str) -> None:
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Jane Doe", "Jane Doe"),
        ("a=b", "a=b"),
        (" =not at the start", " =not at the start"),
        ("", ""),
        (None, ""),
        (-5, "-5"),  # a number stays a number
        (2.5, "2.5"),
    ],
)
def test_other_values_are_left_alone(value: object, expected: str) -> None:
    assert csv_cell(value) == expected


def test_a_whole_document_is_safe_and_parses_back() -> None:
    text = csv_text(("name", "score"), [("=1+1", 3), ('Doe, "J"', -1)])
    assert text.endswith("\r\n")
    assert list(csv.reader(io.StringIO(text))) == [
        ["name", "score"],
        ["'=1+1", "3"],
        ['Doe, "J"', "-1"],
    ]


def test_the_dashboard_exports_use_the_same_rule() -> None:
    assert cell is csv_cell
