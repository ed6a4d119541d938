"""Whatever a prospect typed shows as typed: no mentions, broadcasts or disguised links."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.slack.mrkdwn import ZERO_WIDTH_JOINER, escape, safe


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


@given(st.text(alphabet="&<>ab", max_size=80), st.integers(min_value=5, max_value=40))
def test_truncation_never_splits_an_entity(text: str, limit: int) -> None:
    out = safe(text, limit)
    assert len(out) <= limit
    body = out.removesuffix("…")
    assert body.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "").count("&") == 0
