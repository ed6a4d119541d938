"""`DashboardRoute`: the route class of every dashboard router.

Around each route it checks the CSRF token of unsafe requests before anything runs, turns
refusals into pages (login redirect, 403, 404), and adds the dashboard's security headers.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from bot.dashboard.cookies import SESSION_COOKIE, clear_cookie, is_secure
from bot.dashboard.csrf import SAFE_METHODS, check_csrf
from bot.dashboard.deps import logged_in_user, session_data
from bot.dashboard.errors import CsrfRejected, LoginRequired
from bot.dashboard.pages import add_security_headers, render_page
from bot.dashboard.state import dashboard_of
from qualification.errors import InvalidInput, NotFound, PermissionDenied

LOGIN_PATH = "/dashboard/login"

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def login_url(next_path: str | None) -> str:
    return f"{LOGIN_PATH}?{urlencode({'next': next_path})}" if next_path else LOGIN_PATH


def _login_required(request: Request) -> Response:
    response: Response
    if wants_html(request):
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = here if request.method == "GET" else None
        response = RedirectResponse(login_url(target), status_code=303)
    else:
        response = JSONResponse(
            status_code=401, content={"error": "LoginRequired", "detail": "log in first"}
        )
    if session_data(request) is not None or request.cookies.get(SESSION_COOKIE):
        # The session has ended (expired, password changed, user deactivated): drop it.
        public_url = dashboard_of(request).public_url
        clear_cookie(response, SESSION_COOKIE, secure=is_secure(request, public_url))
    return response


def error_page(request: Request, *, status_code: int, title: str, message: str) -> Response:
    return render_page(
        request,
        "error.html",
        user=logged_in_user(request),
        status_code=status_code,
        title=title,
        message=message,
    )


async def _error_page(request: Request, status_code: int, title: str, message: str) -> Response:
    # Looking up the user for the page's navigation reads the database: not on the event loop.
    return await run_in_threadpool(
        error_page, request, status_code=status_code, title=title, message=message
    )


class DashboardRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def dashboard_handler(request: Request) -> Response:
            try:
                if request.method not in SAFE_METHODS:
                    await check_csrf(request)
                response = await handler(request)
            except LoginRequired:
                response = _login_required(request)
            except CsrfRejected as exc:
                response = await _error_page(request, 403, "Form rejected", str(exc))
            except PermissionDenied as exc:
                response = await _error_page(request, 403, "Not allowed", str(exc))
            except NotFound as exc:
                response = await _error_page(request, 404, "Not found", str(exc))
            except InvalidInput as exc:
                response = await _error_page(request, 422, "Cannot do that", str(exc))
            add_security_headers(response)
            return response

        return dashboard_handler
