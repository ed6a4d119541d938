"""Reading dashboard pages the way a person would: sections, their text, form tokens."""

from __future__ import annotations

import re
from html import unescape

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match is not None, "the page has no form with a CSRF token"
    return match.group(1)


def section(html: str, element_id: str) -> str:
    """The HTML of the <section id=…> (sections are not nested)."""
    match = re.search(
        rf'<section[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</section>', html, re.S
    )
    assert match is not None, f"no section #{element_id}"
    return match.group(1)


def text(html: str) -> str:
    """What a browser shows of this HTML, whitespace collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", html)
    return " ".join(unescape(without_tags).split())
