"""Rendering dashboard pages: Jinja2 (autoescaped) with the layout's context filled in, and the
headers every dashboard response carries."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

import templates
from bot.dashboard.cookies import FORM_COOKIE, FORM_MAX_AGE, is_secure, set_cookie
from bot.dashboard.deps import session_data
from bot.dashboard.nav import nav_for
from bot.dashboard.state import dashboard_of
from storage.models import User

TEMPLATES_DIR = Path(templates.__file__).resolve().parent
CSRF_FIELD = "csrf_token"
CSS_PATH = "/dashboard/static/dashboard.css"

CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}

STAGE_LABELS = {
    "new": "New",
    "mql": "MQL",
    "sal": "SAL",
    "sql": "SQL",
    "nurture": "Nurture",
    "disqualified": "Disqualified",
}


def _when(moment: datetime | str | None) -> str:
    """A moment as "2026-03-02 10:00 UTC" (stored moments are UTC; ISO text is accepted)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment is None:
        return "—"
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _shown(value: Any) -> str:
    """A parsed answer's field as text: lists joined, records as "key value", yes/no."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, list | tuple):
        return "; ".join(_shown(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{str(k).replace('_', ' ')}: {_shown(v)}" for k, v in value.items())
    return str(value)


def _signed(points: int) -> str:
    return f"{points:+d}"


def _stage(stage: str) -> str:
    return STAGE_LABELS.get(stage, stage)


def _query(params: Mapping[str, Any], **changes: Any) -> str:
    """A query string of `params` with `changes`, leaving out empty values (and page 1)."""
    merged = {**params, **changes}
    kept = {k: v for k, v in merged.items() if v not in (None, "") and not (k == "page" and v == 1)}
    return urlencode(kept)


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["signed"] = _signed
    env.filters["stage"] = _stage
    env.filters["shown"] = _shown
    env.filters["query"] = _query
    return env


def csrf_token(request: Request, user: User | None) -> tuple[str, str | None]:
    """The token forms on this page must send back, and a cookie value to set with it.

    Once logged in that is the session's token; before, the browser's pre-session token from
    its cookie, or a new one (with the cookie value that carries it)."""
    data = session_data(request)
    if user is not None and data is not None:
        return data.csrf, None
    dashboard = dashboard_of(request)
    existing = dashboard.cookies.read_form_token(request.cookies.get(FORM_COOKIE))
    if existing is not None:
        return existing, None
    value, token = dashboard.cookies.new_form_token()
    return token, value


def render_page(
    request: Request,
    template: str,
    *,
    user: User | None,
    status_code: int = 200,
    active: str = "",
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A dashboard page from templates/dashboard/`template`, with the layout's context: the
    user, the navigation, the CSRF token for forms, the stylesheet."""
    token, form_cookie = csrf_token(request, user)
    html = (
        environment()
        .get_template(f"dashboard/{template}")
        .render(
            user=user,
            nav=nav_for(user),
            active=active,
            csrf_field=CSRF_FIELD,
            csrf_token=token,
            css_url=CSS_PATH,
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
    if form_cookie is not None:
        set_cookie(
            response,
            FORM_COOKIE,
            form_cookie,
            max_age=FORM_MAX_AGE,
            secure=is_secure(request, dashboard_of(request).public_url),
        )
    return response


def add_security_headers(response: Response) -> None:
    """CSP with frame-ancestors 'none', no framing, no caching of pages with lead data."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
