"""Checks every public widget request passes: the widget exists, the origin is allowed, and
the visitor or IP is within its rate limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request

from bot.runtime import Runtime
from qualification.errors import BatonError, PermissionDenied
from storage.models import Widget
from storage.ratelimit import Hit, hashed, hit_all
from storage.visitors import hash_token
from storage.widgetconfig import normalise_origin
from storage.widgets import active_widget, origin_allowed


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
    """Rate limits of the public widget endpoints, per visitor token and per client IP, and
    how long a live stream lasts.

    `live_*` counts the live chat's reads and actions (a stream, a poll of new messages, the
    live and follow-up requests): a frame polling every 3 s makes 20 a minute.
    """

    session_per_ip: Limit = Limit(60)
    session_per_token: Limit = Limit(30)
    turn_per_ip: Limit = Limit(300)
    turn_per_token: Limit = Limit(60)
    live_per_ip: Limit = Limit(600)
    live_per_token: Limit = Limit(90)
    stream_seconds: float = 240.0  # then the client reconnects with its last seq
    heartbeat_seconds: float = 15.0  # a comment line on an idle stream


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
    """The active widget (NotFound otherwise), after checking the request's Origin header.

    Its settings may be up to `CACHE_SECONDS` old (storage.widgets): a widget turned off or
    re-configured elsewhere takes effect within that, never mid-request."""
    widget = active_widget(engine=rt.engine, public_id=public_id)
    if not allowed(request, widget, request.headers.get("origin")):
        raise PermissionDenied("this origin is not allowed to use this widget")
    return widget


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def enforce(rt: Runtime, *limits: tuple[str, Limit]) -> None:
    """Count one request against each (key, limit), in order and in one transaction;
    RateLimited at the first limit exceeded (the later ones are not counted)."""
    with rt.session() as session:
        decision = hit_all(
            session=session,
            hits=[Hit(key, limit.count, limit.seconds) for key, limit in limits],
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
    """The per-IP limit, then (when a token is sent) the per-token limit of `kind`. Keys hold
    digests of the address and token, never the values."""
    limits = [(f"widget:{kind}:ip:{hashed(client_ip(request))}", per_ip)]
    if token:
        limits.append((f"widget:{kind}:token:{hash_token(token)[:40]}", per_token))
    enforce(rt, *limits)
