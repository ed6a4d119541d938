"""Whatever a prospect typed shows as typed: no mentions, broadcasts, disguised links or
formatting."""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.slack.mrkdwn import MARKERS, ZERO_WIDTH_JOINER, ZERO_WIDTH_SPACE, escape, safe

Z = ZERO_WIDTH_SPACE
WORD = set(string.ascii_letters + string.digits)
# Text rich in what escaping acts on, beside any text at all.
TRICKY = st.text(alphabet="*_~`>&<@ \n\r.ab1é", max_size=60)
TYPED = st.text(alphabet=st.characters(exclude_characters=[Z, ZERO_WIDTH_JOINER])) | TRICKY


def unescape(shown: str) -> str:
    """What the reader gets back: without the invisible characters, entities decoded."""
    plain = shown.replace(Z, "").replace(ZERO_WIDTH_JOINER, "")
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def live_markers(shown: str) -> list[int]:
    """Where a formatting marker touches text although it is not inside a word: a place Slack
    could open or close formatting (a zero-width space counts as a break, as in Slack)."""

    def blank(i: int) -> bool:
        return i < 0 or i >= len(shown) or shown[i].isspace() or shown[i] == Z

    return [
        i
        for i, char in enumerate(shown)
        if char in MARKERS
        and not (0 < i < len(shown) - 1 and shown[i - 1] in WORD and shown[i + 1] in WORD)
        and not (blank(i - 1) and blank(i + 1))
    ]


def test_control_characters_become_entities() -> None:
    assert escape("Tom & Jerry <3 > all") == "Tom &amp; Jerry &lt;3 &gt; all"


def test_mentions_and_links_are_neutralised() -> None:
    assert escape("<!channel> hi") == "&lt;!channel&gt; hi"
    assert escape("<@U123ABC>") == "&lt;@U123ABC&gt;"
    assert escape("<https://evil.example|your invoice>") == (
        "&lt;https://evil.example|your invoice&gt;"
    )


def test_bare_broadcast_words_are_broken() -> None:
    assert escape("ping @here and @Channel") == (
        f"ping @{ZERO_WIDTH_JOINER}here and @{ZERO_WIDTH_JOINER}Channel"
    )
    assert escape("mail me at ann@herefordshire.co.uk") == "mail me at ann@herefordshire.co.uk"


@given(st.text())
def test_escaped_text_has_no_markup_left(text: str) -> None:
    out = escape(text)
    assert "<" not in out and ">" not in out
    entities = out.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")
    assert "&" not in entities


@given(st.text(alphabet="&<>ab*_", max_size=80), st.integers(min_value=5, max_value=40))
def test_truncation_never_splits_an_entity(text: str, limit: int) -> None:
    out = safe(text, limit)
    assert len(out) <= limit
    body = out.removesuffix("…")
    assert body.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "").count("&") == 0


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("*urgent*", f"*{Z}urgent{Z}*"),
        ("**x**", f"*{Z}*{Z}x{Z}*{Z}*"),
        ("_hi_ ~gone~", f"_{Z}hi{Z}_ ~{Z}gone{Z}~"),
        ("`rm -rf`", f"`{Z}rm -rf{Z}`"),
        ("```", f"`{Z}`{Z}`"),
        ("```block```", f"`{Z}`{Z}`{Z}block{Z}`{Z}`{Z}`"),
        ("(*ok*).", f"({Z}*{Z}ok{Z}*{Z})."),
        ("~/.config", f"~{Z}/.config"),
        ("a * b, 2 * 3 _ ~ `", "a * b, 2 * 3 _ ~ `"),  # alone between spaces: nothing to format
        ("snake_case merge_requests 2*3", "snake_case merge_requests 2*3"),
        ("jane_doe@acme.io :white_check_mark:", "jane_doe@acme.io :white_check_mark:"),
        ("_jane@acme.io", f"_{Z}jane@acme.io"),
        ("> quote\n>> deeper\r\n> again", f"{Z}&gt; quote\n{Z}&gt;&gt; deeper\r\n{Z}&gt; again"),
        ("a > b\n x > y", "a &gt; b\n x &gt; y"),
        ("*<!here>* & @here_", f"*{Z}&lt;!here&gt;{Z}* &amp; @{ZERO_WIDTH_JOINER}here{Z}_"),
        ("", ""),
    ],
)
def test_formatting_markers_show_literally(typed: str, shown: str) -> None:
    assert escape(typed) == shown
    assert unescape(shown) == typed and live_markers(shown) == []


@given(TYPED)
@example("*urgent* _now_ ~gone~ `code` ```block```\n> quote")
def test_escaping_loses_nothing_and_leaves_no_formatting(text: str) -> None:
    out = escape(text)
    assert unescape(out) == text
    assert live_markers(out) == []
    assert not any(line.startswith("&gt;") for line in out.splitlines())


@given(TYPED, st.integers(min_value=1, max_value=60))
def test_a_cut_text_stays_within_the_limit_and_defused(text: str, limit: int) -> None:
    out = safe(text, limit)
    assert len(out) <= limit
    if out == escape(text):
        return
    assert out.endswith("…")
    typed = unescape(out.removesuffix("…"))
    assert text.startswith(typed) and len(typed) >= min(len(text), limit) // 8
    assert live_markers(out) == []


def test_a_cut_counts_the_zero_width_spaces() -> None:
    # One more typed character would need two more zero-width spaces: `x*` before `…`.
    assert safe("*x* " * 10, 12) == f"*{Z}x{Z}* *{Z}x…"
    assert safe("a&b*", 6) == "a…"
