"""The web dashboard for SDRs and managers: server-rendered pages behind a login.

Pages are routes on `APIRouter(route_class=DashboardRoute)` (CSRF on every form post, refusals
as pages, security headers) that take `CurrentUser` or `Manager` (deps.py) and answer with
`render_page` (pages.py) from templates/dashboard/.
"""

from __future__ import annotations

from fastapi import FastAPI

from bot.dashboard.approvals import build_approvals_router
from bot.dashboard.auth import build_auth_router
from bot.dashboard.flows import build_flows_router
from bot.dashboard.funnel import build_funnel_router
from bot.dashboard.leads import build_leads_router
from bot.dashboard.outbox import build_outbox_router
from bot.dashboard.state import LoginLimits, build_dashboard
from bot.dashboard.static import build_static_router
from bot.runtime import Runtime

__all__ = ["LoginLimits", "mount_dashboard"]


def mount_dashboard(app: FastAPI, runtime: Runtime, *, limits: LoginLimits | None = None) -> None:
    """Add the dashboard's routes to `app` and keep its state (signing key, limits) there."""
    app.state.dashboard = build_dashboard(runtime, limits)
    app.include_router(build_static_router())
    app.include_router(build_auth_router())
    app.include_router(build_leads_router())
    app.include_router(build_approvals_router())
    app.include_router(build_flows_router())
    app.include_router(build_funnel_router())
    app.include_router(build_outbox_router())
