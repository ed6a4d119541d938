"""Dependencies of dashboard routes: the session, the logged-in user, managers only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from bot.dashboard.cookies import SESSION_COOKIE, SessionData
from bot.dashboard.errors import LoginRequired
from bot.dashboard.state import Dashboard, dashboard_of
from qualification.errors import PermissionDenied
from qualification.stages import Role
from storage.accounts import active_user
from storage.dashboard_sessions import session_is_live
from storage.models import User

DashboardDep = Annotated[Dashboard, Depends(dashboard_of)]


def session_data(request: Request) -> SessionData | None:
    """The request's signed session, if it carries a valid one (read once per request)."""
    if not hasattr(request.state, "dashboard_session"):
        cookie = request.cookies.get(SESSION_COOKIE)
        request.state.dashboard_session = dashboard_of(request).cookies.read_session(cookie)
    data: SessionData | None = request.state.dashboard_session
    return data


def logged_in_user(request: Request) -> User | None:
    """The user whose live session the request carries: not logged out, active, with the
    password the session was opened with (a password reset or a deactivation ends every older
    session)."""
    if hasattr(request.state, "dashboard_user"):
        known: User | None = request.state.dashboard_user
        return known
    dashboard = dashboard_of(request)
    data = session_data(request)
    user = None
    if data is not None:
        with dashboard.runtime.session() as session:
            live = session_is_live(
                session=session, token=data.token, user_id=data.user_id, now=datetime.now(UTC)
            )
            user = active_user(session=session, user_id=data.user_id) if live else None
            session.commit()
        if user is not None and (
            user.password_hash is None
            or dashboard.cookies.fingerprint(user.password_hash) != data.fingerprint
        ):
            user = None
    request.state.dashboard_user = user
    return user


def current_user(request: Request) -> User:
    """The logged-in user; LoginRequired (a redirect to the login form) otherwise."""
    user = logged_in_user(request)
    if user is None:
        raise LoginRequired("log in to see the dashboard")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_manager(user: CurrentUser) -> User:
    """The logged-in user if a manager; PermissionDenied (a 403 page) for an SDR."""
    if user.role is not Role.MANAGER:
        raise PermissionDenied("only managers can see this page")
    return user


Manager = Annotated[User, Depends(require_manager)]
