"""Dependencies of the REST API: the runtime, a database session and API-key authentication."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from bot.runtime import Runtime
from qualification.errors import AuthError, PermissionDenied
from storage.apikeys import SCOPES, authenticate_api_key
from storage.models import ApiKey

# auto_error=False: a missing credential becomes our AuthError (401 with WWW-Authenticate),
# and both schemes appear in the OpenAPI document.
_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer bk_…`")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: bk_…`")


def get_runtime(request: Request) -> Runtime:
    """The runtime the app was built with."""
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_session(runtime: RuntimeDep) -> Iterator[Session]:
    """A session for one request; routes commit what they change, the rest is rolled back."""
    with runtime.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def require_scopes(*scopes: str) -> Callable[..., ApiKey]:
    """A dependency that authenticates the request's API key and checks it has every `scope`.

    Missing, malformed or unknown key → 401; revoked key or a missing scope → 403.
    """
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValueError(f"unknown scopes {unknown}")

    def authenticate(
        runtime: RuntimeDep,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        header: Annotated[str | None, Depends(_header)],
    ) -> ApiKey:
        key = bearer.credentials if bearer is not None else header
        if not key:
            raise AuthError("an API key is required: send 'Authorization: Bearer <key>'")
        with runtime.session() as session:
            api_key = authenticate_api_key(session=session, key=key)
            session.commit()
        missing = [s for s in scopes if s not in api_key.scopes]
        if missing:
            raise PermissionDenied(f"this API key lacks the scope {', '.join(missing)}")
        return api_key

    return authenticate
