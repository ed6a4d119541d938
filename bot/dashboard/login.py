"""Logging in to the dashboard: the password check behind brute-force protection.

Every attempt counts against the client address; failed ones also against the email, which is
locked for a while after too many. Unknown emails are counted, locked and answered exactly like
known ones, so the form never tells whether an account exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from bot.dashboard.state import Dashboard
from storage.accounts import authenticate
from storage.login_attempts import clear_failures, locked_until, login_key, record_failure
from storage.models import User
from storage.ratelimit import hit

WRONG = "The email or password is wrong."


@dataclass(frozen=True)
class LoginOutcome:
    """The user on success; otherwise what to tell the person and the HTTP status."""

    user: User | None
    problem: str = ""
    status_code: int = 200
    retry_after: int | None = None


def _minutes(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _locked(seconds: float) -> LoginOutcome:
    return LoginOutcome(
        user=None,
        problem=(
            "Too many failed logins for this email address: it is locked for now."
            f" Try again in {_minutes(seconds)}."
        ),
        status_code=429,
        retry_after=max(1, math.ceil(seconds)),
    )


def attempt_login(
    *, dashboard: Dashboard, email: str, password: str, client_ip: str, now: datetime
) -> LoginOutcome:
    """Check one login attempt; see the module docstring for the limits."""
    limits = dashboard.limits
    rt = dashboard.runtime
    with rt.session() as session:
        per_ip = hit(
            session=session,
            key=login_key("ip", client_ip),
            limit=limits.per_ip,
            window_seconds=limits.ip_window_seconds,
            now=now,
        )
        if not per_ip.allowed:
            return LoginOutcome(
                user=None,
                problem=(
                    "Too many login attempts from your network."
                    f" Try again in {_minutes(per_ip.retry_after)}."
                ),
                status_code=429,
                retry_after=per_ip.retry_after,
            )
        email_key = login_key("email", email)
        until = locked_until(session=session, key=email_key, now=now)
        if until is not None:
            return _locked((until - now).total_seconds())
        user = authenticate(session=session, email=email, password=password)
        if user is None:
            session.rollback()
            lock = record_failure(
                session=session,
                key=email_key,
                max_failures=limits.max_failures,
                window_seconds=limits.failure_window_seconds,
                lock_seconds=limits.lock_seconds,
                now=now,
            )
            if lock is not None:
                return _locked((lock - now).total_seconds())
            return LoginOutcome(user=None, problem=WRONG, status_code=401)
        session.commit()  # a re-hashed password
        clear_failures(session=session, key=email_key)
    return LoginOutcome(user=user)
