"""The FastAPI application. Channels (widget, Slack, dashboard, REST API) mount here."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.api import build_api_router
from bot.dashboard import LoginLimits, mount_dashboard
from bot.http_errors import DATABASE_RETRY_AFTER, install_error_handlers
from bot.middleware import BodySizeLimit, SecurityHeaders
from bot.outbox import build_dispatcher, outbox_loop
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.slack import mount_slack
from bot.slack.http import SlackHttp
from bot.slack.lanes import Lanes
from bot.widget import build_widget_router
from bot.widget.guard import RateLimited, WidgetLimits
from bot.widget.live_hub import LiveHub
from storage.db import describe_database_error

log = logging.getLogger("baton.http")


def baton_version() -> str:
    try:
        return version("baton")
    except PackageNotFoundError:
        return "0+unknown"


async def _rate_limited(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimited)
    return JSONResponse(
        status_code=429,
        content={"error": "RateLimited", "detail": str(exc)},
        headers={"Retry-After": str(exc.retry_after)},
    )


_OUTBOX_SHUTDOWN_SECONDS = 10.0
_SLACK_SHUTDOWN_SECONDS = 10.0


@asynccontextmanager
async def _outbox_worker(rt: Runtime, slack_http: SlackHttp) -> AsyncIterator[None]:
    """One outbox delivery loop per process, stopped when the app shuts down."""
    if not rt.settings.outbox_worker:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(outbox_loop(rt, build_dispatcher(rt, slack_http=slack_http), stop))
    try:
        yield
    finally:
        stop.set()
        try:
            # A handler stuck on the network must not hold up shutdown for ever.
            await asyncio.wait_for(task, timeout=_OUTBOX_SHUTDOWN_SECONDS)
        except TimeoutError:
            pass


async def _finish_slack_work(lanes: Lanes) -> None:
    """Let the work queued after Slack's acks (modals, posts) finish before the connections
    close, within the time a stopping server is given."""
    try:
        await asyncio.wait_for(lanes.drain(), timeout=_SLACK_SHUTDOWN_SECONDS)
    except TimeoutError:
        log.warning("Slack work still queued after %s s; stopping anyway", _SLACK_SHUTDOWN_SECONDS)


def create_app(
    settings: Settings,
    *,
    runtime: Runtime | None = None,
    widget_limits: WidgetLimits | None = None,
    login_limits: LoginLimits | None = None,
) -> FastAPI:
    """Build the app for `settings`; nothing is created at import time."""
    rt = runtime or build_runtime(settings)
    hub = LiveHub(session=rt.session, interval=rt.settings.live_poll_seconds)
    slack_http = SlackHttp()

    lanes: Lanes | None = None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Slack's connections are closed last: the outbox worker's last deliveries use them.
        async with slack_http.running(), _outbox_worker(rt, slack_http), hub.running():
            yield
            if lanes is not None:  # the server takes no more requests: finish their work
                await _finish_slack_work(lanes)

    app = FastAPI(title="Baton", version=baton_version(), lifespan=lifespan)
    app.state.runtime = rt
    app.state.slack_http = slack_http
    install_error_handlers(app)
    app.add_exception_handler(RateLimited, _rate_limited)
    app.add_middleware(BodySizeLimit)
    app.add_middleware(SecurityHeaders)
    app.include_router(build_api_router(rt))
    app.include_router(build_widget_router(rt, limits=widget_limits, hub=hub))
    lanes = mount_slack(app, rt, http=slack_http)
    mount_dashboard(app, rt, limits=login_limits)

    @app.get(
        "/health",
        tags=["meta"],
        responses={503: {"description": "The database cannot be used (see Retry-After)"}},
    )
    def health(response: Response) -> dict[str, str]:
        """Readiness: 200 when this process can query its database, 503 with Retry-After when
        it cannot, so a load balancer stops sending it requests until the database is back.
        Not a liveness check: restarting the process does not bring a database back."""
        database = rt.engine.dialect.name
        try:
            with rt.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            log.error("health check: database unavailable: %s", describe_database_error(exc))
            response.status_code = 503
            response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
            response.headers["Cache-Control"] = "no-store"
            return {"status": "unavailable", "database": database}
        return {"status": "ok", "database": database}

    @app.get("/version", tags=["meta"])
    def app_version() -> dict[str, str]:
        return {
            "version": baton_version(),
            "rules_version": rt.rules.version,
            "default_flow": f"{rt.flows.default.id}@{rt.flows.default.version}",
            "slack": "on" if rt.settings.slack_enabled else "off",
        }

    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory bot.app:app_from_env` (used by `baton serve`).

    What start-up built lives as long as the process: it is moved out of the cyclic garbage
    collector's way, whose full collections otherwise walk it all (tens of milliseconds with
    every request thread stopped)."""
    app = create_app(Settings())
    gc.collect()
    gc.freeze()
    return app
