"""Why a dashboard request was refused; `routing.DashboardRoute` turns these into pages."""

from __future__ import annotations

from qualification.errors import BatonError


class LoginRequired(BatonError):
    """No valid session: a page redirects to the login form, anything else answers 401."""


class CsrfRejected(BatonError):
    """A form post without the token of this browser's session; nothing was changed."""
