"""Request values the API's routes share, held to what the database can store: ids and numbers
that fit its integer columns, moments that stay within range in UTC, text without NUL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path, Request
from pydantic import AfterValidator

from qualification.errors import InvalidInput

# Ids, counts and scores are PostgreSQL `integer` columns: a larger number names no row, and
# the database refuses to compare with it or store it.
MAX_INT = 2**31 - 1

LeadId = Annotated[int, Path(ge=1, le=MAX_INT, description="The lead's id.")]


def as_utc(moment: datetime) -> datetime:
    """`moment` in UTC (a naive one is taken as UTC); ValueError when moving it to UTC leaves the
    years 1–9999 (0001-01-01T00:00+05:00, for example)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("the date-time is out of range once moved to UTC") from None


UtcMoment = Annotated[datetime, AfterValidator(as_utc)]


def _texts(value: Any) -> Iterator[str]:
    """Every string in a decoded JSON value, object keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


async def refuse_nul(request: Request) -> None:
    """InvalidInput (422) for a NUL character anywhere in the path, the query or a JSON body:
    PostgreSQL cannot store one, and no lead, event, campaign or cursor needs one."""
    texts = [str(value) for value in request.path_params.values()]
    texts += (text for pair in request.query_params.multi_items() for text in pair)
    if "json" in request.headers.get("content-type", "").lower():
        try:
            texts += _texts(await request.json())
        except ValueError:
            pass  # not JSON at all: the route's own validation says so
    if any("\x00" in text for text in texts):
        raise InvalidInput("text may not contain NUL (\\u0000) characters")
