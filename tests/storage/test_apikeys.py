"""API keys: shown once, stored hashed, scoped, revocable."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session

from qualification.errors import AuthError, InvalidInput, NotFound, PermissionDenied
from storage.apikeys import (
    authenticate_api_key,
    create_api_key,
    hash_key,
    list_api_keys,
    revoke_api_key,
)


def test_key_format_and_only_the_hash_is_stored(session: Session) -> None:
    row, key = create_api_key(session=session, name="crm sync", scopes=["leads:read"])
    session.commit()
    assert re.fullmatch(r"bk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", key)
    assert row.prefix == key[:11]
    assert row.key_hash == hash_key(key) and key not in row.key_hash
    assert row.scopes == ["leads:read"]
    assert authenticate_api_key(session=session, key=key).id == row.id


def test_unknown_malformed_and_revoked_keys(session: Session) -> None:
    row, key = create_api_key(session=session, name="a", scopes=["events:write"])
    session.commit()
    with pytest.raises(AuthError):
        authenticate_api_key(session=session, key="bk_nothing")
    with pytest.raises(AuthError):
        authenticate_api_key(session=session, key=key[:-1] + ("x" if key[-1] != "x" else "y"))
    revoke_api_key(session=session, prefix=row.prefix)
    session.commit()
    with pytest.raises(PermissionDenied):
        authenticate_api_key(session=session, key=key)
    with pytest.raises(NotFound):
        revoke_api_key(session=session, prefix="bk_00000000")


def test_scopes_are_checked_and_keys_listed(session: Session) -> None:
    with pytest.raises(InvalidInput, match="unknown scope"):
        create_api_key(session=session, name="a", scopes=["leads:delete"])
    with pytest.raises(InvalidInput, match="at least one scope"):
        create_api_key(session=session, name="a", scopes=[])
    first, _ = create_api_key(session=session, name="one", scopes=["leads:read", "leads:read"])
    second, _ = create_api_key(session=session, name="two", scopes=["widgets:admin"])
    revoke_api_key(session=session, prefix=second.prefix)
    session.commit()
    assert first.scopes == ["leads:read"]
    assert [k.name for k in list_api_keys(session=session)] == ["one", "two"]
    assert [k.name for k in list_api_keys(session=session, include_revoked=False)] == ["one"]
