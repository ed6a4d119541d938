"""`/dashboard/login` and `/dashboard/logout`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from bot.dashboard.cookies import (
    FORM_COOKIE,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    clear_cookie,
    is_secure,
    set_cookie,
)
from bot.dashboard.deps import DashboardDep, logged_in_user, session_data
from bot.dashboard.login import attempt_login
from bot.dashboard.pages import render_page
from bot.dashboard.routing import LOGIN_PATH, DashboardRoute
from storage.dashboard_sessions import end_session, open_session

HOME = "/dashboard/leads"


def safe_next(target: str | None) -> str:
    """`target` if it is a dashboard path on this site; the home page for anything else
    (other sites, scheme-relative //host paths, backslash tricks, control characters)."""
    if not target or len(target) > 2000:
        return HOME
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return HOME
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/"):
        return HOME
    if not (parts.path == "/dashboard" or parts.path.startswith("/dashboard/")):
        return HOME
    if any(segment in (".", "..") for segment in parts.path.split("/")):
        return HOME
    if parts.path.rstrip("/") in (LOGIN_PATH, "/dashboard/logout"):
        return HOME
    return target


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def build_auth_router() -> APIRouter:
    router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)

    @router.get("")
    @router.get("/")
    def home() -> RedirectResponse:
        return RedirectResponse(HOME, status_code=303)

    @router.get("/login", name="dashboard_login")
    def login_form(
        request: Request, next_path: Annotated[str | None, Query(alias="next")] = None
    ) -> Response:
        if logged_in_user(request) is not None:
            return RedirectResponse(safe_next(next_path), status_code=303)
        return render_page(
            request, "login.html", user=None, next_path=safe_next(next_path), email="", problem=""
        )

    @router.post("/login")
    def login(
        request: Request,
        dashboard: DashboardDep,
        email: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        next_path: Annotated[str, Form(alias="next")] = "",
    ) -> Response:
        now = datetime.now(UTC)
        outcome = attempt_login(
            dashboard=dashboard,
            email=email,
            password=password,
            client_ip=client_ip(request),
            now=now,
        )
        secure = is_secure(request, dashboard.public_url)
        if outcome.user is None or outcome.user.id is None:
            headers = {"Retry-After": str(outcome.retry_after)} if outcome.retry_after else None
            return render_page(
                request,
                "login.html",
                user=None,
                status_code=outcome.status_code,
                headers=headers,
                next_path=safe_next(next_path),
                email=email,
                problem=outcome.problem,
            )
        with dashboard.runtime.session() as session:
            token = open_session(
                session=session,
                user_id=outcome.user.id,
                now=now,
                lifetime=timedelta(seconds=SESSION_MAX_AGE),
            )
            session.commit()
        value, _data = dashboard.cookies.new_session(
            user_id=outcome.user.id, password_hash=outcome.user.password_hash, token=token
        )
        response = RedirectResponse(safe_next(next_path), status_code=303)
        set_cookie(response, SESSION_COOKIE, value, max_age=SESSION_MAX_AGE, secure=secure)
        clear_cookie(response, FORM_COOKIE, secure=secure)
        return response

    @router.post("/logout")
    def logout(request: Request, dashboard: DashboardDep) -> Response:
        data = session_data(request)
        if data is not None:  # end it for good: a copy of the cookie no longer works
            with dashboard.runtime.session() as session:
                end_session(session=session, token=data.token, now=datetime.now(UTC))
                session.commit()
        response = RedirectResponse(LOGIN_PATH, status_code=303)
        clear_cookie(response, SESSION_COOKIE, secure=is_secure(request, dashboard.public_url))
        return response

    return router
