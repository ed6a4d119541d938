"""Checks for lead fields that arrive from outside (API bodies, CSV rows): plain values in,
a normalised value or a ValueError with a message a person can act on out."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email

MAX_COUNT = 2**31 - 1  # counts are stored as 32-bit integers

# Lower-case ASCII addresses of the commonest shape: dot-separated atoms of letters, digits and
# _ + - before the @-sign, then hostname labels and a letters-only top-level domain. Every such
# address within the length limits is valid and already normalised, unless a label holds "--"
# (Punycode and its look-alikes) or the domain is special-use; those, and every other shape, go
# to email_validator. tests/qualification/test_contactfields.py checks the two agree.
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9_+-]{1,64}(?:\.[a-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)
_SPECIAL_USE = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def _plain_email(text: str) -> bool:
    """Whether `text` is of the plain shape above, so email_validator would return it as is."""
    if len(text) > 254 or not _PLAIN_EMAIL.fullmatch(text):
        return False
    local, domain = text.split("@")
    return (
        len(local) <= 64
        and len(domain) <= 253
        and "--" not in domain
        and domain.rsplit(".", 1)[1] not in _SPECIAL_USE
    )


def check_email(value: str) -> str:
    """A syntactically valid address, trimmed and lower-cased (how leads are stored)."""
    text = value.strip()
    if not text:
        raise ValueError("email is empty")
    if _plain_email(text):  # a bulk import checks many: this is about 30 times quicker
        return text
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"{text!r} is not a valid email address: {error}") from None
    return checked.normalized.lower()


def check_count(value: str, *, field: str) -> int | None:
    """A whole number ≥ 0 ("1,200" allowed); None for an empty cell."""
    text = value.strip().replace(",", "").replace("_", "")
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{field} {value!r} is not a number") from None
    if not math.isfinite(number) or number < 0 or number != int(number):
        raise ValueError(f"{field} {value!r} must be a whole number of 0 or more")
    if number > MAX_COUNT:
        raise ValueError(f"{field} {value!r} is too large (at most {MAX_COUNT:,})")
    return int(number)


def check_amount(value: str, *, field: str) -> float | None:
    """A finite amount ≥ 0 ("2,500,000" allowed); None for an empty cell."""
    text = value.strip().replace(",", "").replace("_", "")
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{field} {value!r} is not a number") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{field} {value!r} must be a finite amount of 0 or more")
    return number


def check_country(value: str) -> str | None:
    """An ISO 3166-1 alpha-2 code in upper case; None for an empty cell."""
    text = value.strip().upper()
    if not text:
        return None
    if len(text) != 2 or not text.isalpha() or not text.isascii():
        raise ValueError(f"country {value!r} must be a two-letter ISO code such as US or DE")
    return text


def check_moment(value: str, *, field: str = "occurred_at") -> datetime:
    """An ISO 8601 date or date-time; naive values are taken as UTC."""
    text = value.strip()
    if not text:
        raise ValueError(f"{field} is empty")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{field} {value!r} is not an ISO 8601 date-time (e.g. 2026-03-01T14:30:00Z)"
        ) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 is before year 1 in UTC
        raise ValueError(f"{field} {value!r} is out of range once moved to UTC") from None
