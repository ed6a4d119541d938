"""Slack's message markup undone, so parsers see what the person typed."""

from __future__ import annotations

from bot.slack.slack_text import typed_text, without_mention


def test_linked_emails_and_urls_read_as_typed() -> None:
    assert typed_text("qualify <mailto:dana@acme.io|dana@acme.io>") == "qualify dana@acme.io"
    assert (
        typed_text("see <https://acme.io|acme.io> or <https://x.io>")
        == "see acme.io or https://x.io"
    )


def test_entities_are_decoded_after_the_markup() -> None:
    assert typed_text("&lt;$50k &amp; up &gt; 10") == "<$50k & up > 10"
    assert typed_text("&lt;mailto:x&gt;") == "<mailto:x>"  # typed brackets stay text


def test_mentions_and_broadcasts_read_as_shown() -> None:
    assert typed_text("ask <@U123> and <!here>") == "ask @U123 and @here"
    assert typed_text("<!subteam^S1|@sales> ok") == "@sales ok"


def test_only_the_apps_own_mention_is_removed() -> None:
    assert without_mention("<@UBOT> qualify <@U123>", "UBOT") == "qualify <@U123>"
    assert without_mention("hey <@UBOT|baton>, 50k", "UBOT") == "hey  , 50k"
    assert without_mention("<@UBOT> hi", None) == "<@UBOT> hi"
