"""Checks every public widget request passes: the widget exists, the origin is allowed, and
the visitor or IP is within its rate limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request

from bot.runtime import Runtime
from qualification.errors import BatonError, PermissionDenied
from storage.models import Widget
from storage.ratelimit import hit
from storage.visitors import hash_token
from storage.widgetconfig import normalise_origin
from storage.widgets import get_widget, origin_allowed


class RateLimited(BatonError):
    """Too many requests from one visitor or address; try again after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    """At most `count` requests per `seconds`."""

    count: int
    seconds: int = 60


@dataclass(frozen=True)
class WidgetLimits:
    """Rate limits of the public widget endpoints, per visitor token and per client IP."""

    session_per_ip: Limit = Limit(60)
    session_per_token: Limit = Limit(30)
    turn_per_ip: Limit = Limit(300)
    turn_per_token: Limit = Limit(60)


def own_origin(request: Request) -> str:
    """Baton's own origin as this request reached it."""
    return f"{request.url.scheme}://{request.url.netloc}".lower()


def allowed(request: Request, widget: Widget, origin: str | None) -> bool:
    """Baton itself and the widget's configured origins are allowed; nothing else."""
    if origin is None:
        return True
    try:
        if normalise_origin(origin) == normalise_origin(own_origin(request)):
            return True
    except BatonError:
        return False
    return origin_allowed(widget, origin)


def load_widget(rt: Runtime, request: Request, public_id: str) -> Widget:
    """The active widget (NotFound otherwise), after checking the request's Origin header."""
    with rt.session() as session:
        widget = get_widget(session=session, public_id=public_id, active_only=True)
        session.commit()  # ends the read, keeps `widget` loaded
    if not allowed(request, widget, request.headers.get("origin")):
        raise PermissionDenied("this origin is not allowed to use this widget")
    return widget


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def enforce(rt: Runtime, *, key: str, limit: Limit) -> None:
    """Count one request for `key`; RateLimited when over the limit."""
    with rt.session() as session:
        decision = hit(
            session=session,
            key=key,
            limit=limit.count,
            window_seconds=limit.seconds,
            now=datetime.now(UTC),
        )
    if not decision.allowed:
        raise RateLimited(
            f"too many requests; try again in {decision.retry_after} s",
            retry_after=decision.retry_after,
        )


def enforce_visitor(
    rt: Runtime, request: Request, *, kind: str, token: str | None, per_ip: Limit, per_token: Limit
) -> None:
    """The per-IP limit, then (when a token is sent) the per-token limit of `kind`."""
    enforce(rt, key=f"widget:{kind}:ip:{client_ip(request)}", limit=per_ip)
    if token:
        enforce(rt, key=f"widget:{kind}:token:{hash_token(token)[:40]}", limit=per_token)
