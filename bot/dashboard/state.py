"""What the dashboard needs at run time, built once by `mount_dashboard` and kept on the app."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field

from fastapi import Request

from bot.dashboard.cookies import CookieSigner
from bot.runtime import Runtime

log = logging.getLogger("baton.dashboard")


@dataclass(frozen=True)
class LoginLimits:
    """Brute-force protection of the login form (counted in the database, shared by workers).

    `per_ip` login attempts per `ip_window_seconds` from one client address; after
    `max_failures` failed logins for one email within `failure_window_seconds`, that email is
    locked for `lock_seconds`.
    """

    per_ip: int = 30
    ip_window_seconds: int = 300
    max_failures: int = 5
    failure_window_seconds: int = 900
    lock_seconds: int = 900


@dataclass(frozen=True)
class Dashboard:
    runtime: Runtime
    cookies: CookieSigner
    limits: LoginLimits = field(default_factory=LoginLimits)

    @property
    def public_url(self) -> str | None:
        return self.runtime.settings.public_url


def secret_key_for(runtime: Runtime) -> str:
    """The configured secret key, or a random one for this process (with a warning)."""
    if runtime.settings.secret_key:
        return runtime.settings.secret_key
    log.warning(
        "BATON_SECRET_KEY is not set: dashboard sessions are signed with a random key of this"
        " process, so they end when it restarts and are not shared between workers"
    )
    return secrets.token_urlsafe(48)


def build_dashboard(runtime: Runtime, limits: LoginLimits | None = None) -> Dashboard:
    return Dashboard(
        runtime=runtime,
        cookies=CookieSigner(secret_key_for(runtime)),
        limits=limits or LoginLimits(),
    )


def dashboard_of(request: Request) -> Dashboard:
    """The dashboard the app was built with."""
    dashboard: Dashboard = request.app.state.dashboard
    return dashboard
