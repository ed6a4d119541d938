"""CSRF protection: every unsafe request must send back the token of this browser's session
(the signed session cookie's, or the signed pre-session cookie's before login)."""

from __future__ import annotations

import hmac

from fastapi import Request

from bot.dashboard.cookies import FORM_COOKIE
from bot.dashboard.deps import session_data
from bot.dashboard.errors import CsrfRejected
from bot.dashboard.pages import CSRF_FIELD
from bot.dashboard.state import dashboard_of

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"

REJECTED = (
    "This form has expired or did not come from Baton, so nothing was changed. "
    "Go back, reload the page and try again."
)


async def check_csrf(request: Request) -> None:
    """CsrfRejected unless the form field (or X-CSRF-Token header) matches a token bound to
    this browser by one of its signed, HttpOnly cookies."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not sent:
        sent = request.headers.get(CSRF_HEADER, "")
    expected: list[str] = []
    data = session_data(request)
    if data is not None:
        expected.append(data.csrf)
    form_token = dashboard_of(request).cookies.read_form_token(request.cookies.get(FORM_COOKIE))
    if form_token is not None:
        expected.append(form_token)
    matched = False
    for token in expected:
        # Compare every candidate (no early exit), in constant time.
        matched |= hmac.compare_digest(sent.encode("utf-8"), token.encode("utf-8"))
    if not sent or not matched:
        raise CsrfRejected(REJECTED)
