"""The one place where domain errors become HTTP responses."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from qualification.errors import (
    AlreadyExists,
    AuthError,
    BatonError,
    ConcurrentTurn,
    ConfigError,
    HandoffAlreadyDecided,
    IllegalStageChange,
    InvalidInput,
    NotFound,
    PermissionDenied,
)

STATUS: list[tuple[type[BatonError], int]] = [
    (AuthError, 401),
    (NotFound, 404),
    (PermissionDenied, 403),
    (InvalidInput, 422),
    (AlreadyExists, 409),
    (ConcurrentTurn, 409),
    (HandoffAlreadyDecided, 409),
    (IllegalStageChange, 409),
    (ConfigError, 500),
]


def status_for(exc: BatonError) -> int:
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 400


def install_error_handlers(app: FastAPI) -> None:
    """Map every `BatonError` to a JSON body {"error": kind, "detail": message}."""

    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, BatonError)
        # 401 answers say how to authenticate (RFC 9110 §11.6.1).
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthError) else None
        return JSONResponse(
            status_code=status_for(exc),
            content={"error": type(exc).__name__, "detail": str(exc)},
            headers=headers,
        )

    app.add_exception_handler(BatonError, handle)
