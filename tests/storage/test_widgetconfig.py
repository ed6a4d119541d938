"""Validation of widget origins and theme settings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qualification.errors import InvalidInput
from storage.widgetconfig import DEFAULT_THEME, normalise_origin, validate_theme


@pytest.mark.parametrize(
    ("given_origin", "expected"),
    [
        ("https://Example.COM", "https://example.com"),
        ("https://example.com/", "https://example.com"),
        ("http://localhost:8080", "http://localhost:8080"),
        ("http://[::1]:9000", "http://[::1]:9000"),
    ],
)
def test_origins_are_normalised(given_origin: str, expected: str) -> None:
    assert normalise_origin(given_origin) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "example.com",
        "ftp://example.com",
        "javascript:alert(1)",
        "https://example.com/path",
        "https://example.com?x=1",
        "https://user@example.com",
        "https://exa mple.com",
        "https://example.com:99999",
        "*",
    ],
)
def test_bad_origins_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        normalise_origin(bad)


def test_theme_defaults_and_merging() -> None:
    assert validate_theme({}) == DEFAULT_THEME
    merged = validate_theme({"z_index": 5}, base={"color": "#ABCDEF"})
    assert merged["color"] == "#abcdef" and merged["z_index"] == 5


@pytest.mark.parametrize(
    "bad",
    [
        {"color": "blue"},
        {"text_color": "#fff"},
        {"position": "top-left"},
        {"z_index": "10"},
        {"z_index": True},
        {"offset_x": -1},
        {"offset_y": 1.5},
        {"shadow": "big"},
    ],
)
def test_bad_theme_values_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        validate_theme(bad)


@given(st.text(max_size=40))
def test_any_text_is_either_a_clean_origin_or_refused(text: str) -> None:
    try:
        origin = normalise_origin(text)
    except InvalidInput:
        return
    assert origin.startswith(("http://", "https://"))
    assert normalise_origin(origin) == origin
