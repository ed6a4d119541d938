"""The one place where errors become HTTP responses: domain errors, and a database that cannot
be reached (503 with Retry-After)."""

from __future__ import annotations

import logging
import math
import sqlite3
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.dashboard.pages import CSS_PATH, add_security_headers, environment
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
from storage.db import describe_database_error

log = logging.getLogger("baton.http")

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

# Seconds a client should wait before trying again while the database is unavailable.
DATABASE_RETRY_AFTER = 5
UNAVAILABLE_DETAIL = "The database is unavailable; try again shortly."

# SQLite result codes (extended ones start with these) that mean "not now", not "wrong":
# the file cannot be opened, or another connection held the lock past the busy timeout.
_SQLITE_UNAVAILABLE = ("SQLITE_CANTOPEN", "SQLITE_BUSY")
# PostgreSQL SQLSTATEs: connection exceptions (08…), insufficient resources such as too many
# connections (53…), and the server shutting down or starting up (57P…).
_PG_UNAVAILABLE = ("08", "53", "57P")


def status_for(exc: BatonError) -> int:
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 400


def database_unavailable(exc: BaseException) -> bool:
    """True when `exc` says the database cannot be used right now (down, unreachable, locked
    past the busy timeout, out of connections) rather than that a statement is wrong."""
    if isinstance(exc, PoolTimeout):
        return True  # every pooled connection stayed busy past the pool's timeout
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    driver_error = exc.orig
    if isinstance(driver_error, sqlite3.Error):
        return str(getattr(driver_error, "sqlite_errorname", "")).startswith(_SQLITE_UNAVAILABLE)
    sqlstate = getattr(driver_error, "sqlstate", None)
    # No SQLSTATE: the server never answered (refused, unreachable, closed the connection).
    return sqlstate is None or str(sqlstate).startswith(_PG_UNAVAILABLE)


def route_template(request: Request) -> str:
    """The path with its parameters shown by name ("/api/v1/leads/by-email/{email}"): fit for
    logs, unlike the path itself, which can carry an email address."""
    by_value = {str(value): name for name, value in request.path_params.items()}
    segments = request.url.path.split("/")
    named = ["{" + by_value[s] + "}" if s in by_value else s for s in segments]
    if len(set(named) - set(segments)) < len(by_value):
        # A value that is not one whole segment (a path converter): show the route alone.
        route = request.scope.get("route")
        return str(getattr(route, "path", "(unknown route)"))
    return "/".join(named)


def _unavailable_page() -> HTMLResponse:
    # Rendered without the database: no user, no navigation, no form.
    html = (
        environment()
        .get_template("dashboard/error.html")
        .render(
            user=None,
            nav=(),
            active="",
            css_url=CSS_PATH,
            title="Temporarily unavailable",
            message=UNAVAILABLE_DETAIL,
        )
    )
    response = HTMLResponse(html, status_code=503)
    add_security_headers(response)
    return response


def database_unavailable_response(request: Request) -> Response:
    """503 with Retry-After: a small page for a dashboard page in a browser, JSON otherwise."""
    response: Response
    if request.url.path.startswith("/dashboard") and "text/html" in request.headers.get(
        "accept", ""
    ):
        response = _unavailable_page()
    else:
        response = JSONResponse(
            status_code=503,
            content={"error": "ServiceUnavailable", "detail": UNAVAILABLE_DETAIL},
        )
    response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
    response.headers["Cache-Control"] = "no-store"
    return response


def _json_safe(value: Any) -> Any:
    """`value` with NaN and ±Infinity as text: JSON has no such numbers (Python's parser takes
    them all the same), and an answer that quotes the input must still be JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_safe(item) for item in value]
    return value


def install_error_handlers(app: FastAPI) -> None:
    """Map every `BatonError` to a JSON body {"error": kind, "detail": message}, request
    validation errors to FastAPI's 422 body (always valid JSON), and a database that cannot be
    used to 503 (other database errors stay 500s: they are bugs)."""

    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, BatonError)
        # 401 answers say how to authenticate (RFC 9110 §11.6.1).
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthError) else None
        return JSONResponse(
            status_code=status_for(exc),
            content={"error": type(exc).__name__, "detail": str(exc)},
            headers=headers,
        )

    async def handle_invalid_request(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = _json_safe(jsonable_encoder(exc.errors()))
        return JSONResponse(status_code=422, content={"detail": errors})

    async def handle_database(request: Request, exc: Exception) -> Response:
        if not database_unavailable(exc):
            raise exc
        # The session that failed has already rolled its transaction back on the way out.
        log.error(
            "database unavailable during %s %s: %s",
            request.method,
            route_template(request),
            describe_database_error(exc),
        )
        return database_unavailable_response(request)

    app.add_exception_handler(BatonError, handle)
    app.add_exception_handler(RequestValidationError, handle_invalid_request)
    app.add_exception_handler(DBAPIError, handle_database)
    app.add_exception_handler(PoolTimeout, handle_database)
