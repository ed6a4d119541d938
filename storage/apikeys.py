"""API keys for machine clients: issued once in plain text, stored as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import timedelta

from sqlmodel import Session, col, select

from qualification.errors import AuthError, InvalidInput, NotFound, PermissionDenied
from storage.models import ApiKey, utcnow

LEADS_READ = "leads:read"
LEADS_WRITE = "leads:write"
EVENTS_WRITE = "events:write"
WIDGETS_ADMIN = "widgets:admin"
# Export and erase a person's data (the whole record, transcripts included): its own scope.
PRIVACY = "privacy"
SCOPES: tuple[str, ...] = (LEADS_READ, LEADS_WRITE, EVENTS_WRITE, WIDGETS_ADMIN, PRIVACY)

_PREFIX_LEN = len("bk_") + 8  # "bk_" and 8 hex digits: the part shown in listings
_KEY_LEN = _PREFIX_LEN + 1 + 43  # then "_" and a 43-character url-safe secret
# Writing last_used_at on every request would make each read a write; a minute is enough.
_TOUCH_EVERY = timedelta(minutes=1)


def hash_key(key: str) -> str:
    """The stored form of a key: the SHA-256 hex digest of the whole key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _check_scopes(scopes: Iterable[str]) -> list[str]:
    chosen: list[str] = []
    for scope in scopes:
        if scope not in SCOPES:
            raise InvalidInput(f"unknown scope {scope!r}; choose from {', '.join(SCOPES)}")
        if scope not in chosen:
            chosen.append(scope)
    if not chosen:
        raise InvalidInput(f"an API key needs at least one scope ({', '.join(SCOPES)})")
    return chosen


def create_api_key(*, session: Session, name: str, scopes: Iterable[str]) -> tuple[ApiKey, str]:
    """Add a key; returns the row and the plain-text key, which is never available again."""
    name = name.strip()
    if not name:
        raise InvalidInput("an API key needs a name")
    chosen = _check_scopes(scopes)
    prefix = f"bk_{secrets.token_hex(4)}"
    while session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first() is not None:
        prefix = f"bk_{secrets.token_hex(4)}"
    key = f"{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(name=name[:200], prefix=prefix, key_hash=hash_key(key), scopes=chosen)
    session.add(row)
    session.flush()
    return row, key


def authenticate_api_key(*, session: Session, key: str) -> ApiKey:
    """The key's row. AuthError if the key is malformed or unknown, PermissionDenied if revoked."""
    key = key.strip()
    if len(key) != _KEY_LEN or not key.startswith("bk_") or key[_PREFIX_LEN] != "_":
        raise AuthError("malformed API key")
    row = session.exec(select(ApiKey).where(ApiKey.prefix == key[:_PREFIX_LEN])).first()
    # Compare digests in constant time; an unknown prefix still pays for one comparison.
    expected = row.key_hash if row is not None else "0" * 64
    if not hmac.compare_digest(expected, hash_key(key)) or row is None:
        raise AuthError("unknown API key")
    if row.revoked_at is not None:
        raise PermissionDenied(f"API key {row.prefix} was revoked")
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= _TOUCH_EVERY:
        row.last_used_at = now
        session.add(row)
        session.flush()
    return row


def revoke_api_key(*, session: Session, prefix: str) -> ApiKey:
    """Revoke the key with this prefix (idempotent); NotFound if there is none."""
    row = session.exec(select(ApiKey).where(ApiKey.prefix == prefix.strip())).first()
    if row is None:
        raise NotFound(f"no API key with prefix {prefix!r}")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.flush()
    return row


def list_api_keys(*, session: Session, include_revoked: bool = True) -> list[ApiKey]:
    """Every key, oldest first (hashes only; plain-text keys are never stored)."""
    query = select(ApiKey).order_by(col(ApiKey.id))
    if not include_revoked:
        query = query.where(col(ApiKey.revoked_at).is_(None))
    return list(session.exec(query).all())
