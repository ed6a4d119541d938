"""Signed dashboard cookies: the session, and the login form's pre-session CSRF token.

Both are signed and timestamped with itsdangerous under the app's secret key, HttpOnly,
SameSite=Lax, limited to /dashboard, and Secure when Baton is reached over https.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "baton_session"
FORM_COOKIE = "baton_form"
COOKIE_PATH = "/dashboard"
SESSION_MAX_AGE = 12 * 3600
FORM_MAX_AGE = 12 * 3600


@dataclass(frozen=True)
class SessionData:
    """Whose session it is, the password it was opened with (as a fingerprint), the
    session's CSRF token and the token of its row in the database (see
    storage.dashboard_sessions)."""

    user_id: int
    fingerprint: str
    csrf: str
    token: str


class CookieSigner:
    """Signs and checks the dashboard's cookies with one secret key."""

    def __init__(self, secret_key: str) -> None:
        self._key = secret_key.encode("utf-8")
        self._session = URLSafeTimedSerializer(secret_key, salt="baton.dashboard.session")
        self._form = URLSafeTimedSerializer(secret_key, salt="baton.dashboard.form")

    def fingerprint(self, password_hash: str | None) -> str:
        """A keyed digest of the password hash: a new password makes old sessions invalid."""
        message = b"baton.dashboard.password:" + (password_hash or "").encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]

    def new_session(
        self, *, user_id: int, password_hash: str | None, token: str
    ) -> tuple[str, SessionData]:
        """A fresh session (with a new CSRF token) for the stored session `token`, and its
        cookie value."""
        data = SessionData(
            user_id=user_id,
            fingerprint=self.fingerprint(password_hash),
            csrf=secrets.token_urlsafe(32),
            token=token,
        )
        value = self._session.dumps(
            {"u": data.user_id, "f": data.fingerprint, "c": data.csrf, "s": data.token}
        )
        return value, data

    def read_session(self, value: str | None) -> SessionData | None:
        """The session in a cookie value, if it is ours, intact and younger than 12 hours."""
        if not value:
            return None
        try:
            raw = self._session.loads(value, max_age=SESSION_MAX_AGE)
        except BadSignature:  # also covers an expired signature
            return None
        if not isinstance(raw, dict):
            return None
        user_id, fingerprint, csrf = raw.get("u"), raw.get("f"), raw.get("c")
        token = raw.get("s")
        if not isinstance(user_id, int) or not isinstance(fingerprint, str):
            return None
        if not isinstance(csrf, str) or not csrf or not isinstance(token, str) or not token:
            return None
        return SessionData(user_id=user_id, fingerprint=fingerprint, csrf=csrf, token=token)

    def new_form_token(self) -> tuple[str, str]:
        """A pre-session CSRF token and the cookie value that carries it (double submit)."""
        token = secrets.token_urlsafe(32)
        return self._form.dumps(token), token

    def read_form_token(self, value: str | None) -> str | None:
        if not value:
            return None
        try:
            token = self._form.loads(value, max_age=FORM_MAX_AGE)
        except BadSignature:
            return None
        return token if isinstance(token, str) and token else None


def is_secure(request: Request, public_url: str | None) -> bool:
    """Whether cookies must be Secure: the request came over https, or Baton's public URL is."""
    return request.url.scheme == "https" or (public_url or "").lower().startswith("https://")


def set_cookie(response: Response, name: str, value: str, *, max_age: int, secure: bool) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        secure=secure,
        httponly=True,
        samesite="lax",
    )


def clear_cookie(response: Response, name: str, *, secure: bool) -> None:
    response.delete_cookie(name, path=COOKIE_PATH, secure=secure, httponly=True, samesite="lax")
