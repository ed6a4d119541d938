"""No lead data without a login; managers-only pages; the headers of every dashboard page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from bot.dashboard.deps import Manager
from bot.dashboard.pages import render_page
from bot.dashboard.routing import DashboardRoute
from qualification.stages import Role
from tests.bot.dashboard.conftest import HTML, Dashboard
from tests.bot.dashboard.pages import text
from tests.factories import make_lead


async def test_no_lead_data_without_a_login(dash: Dashboard) -> None:
    with dash.runtime.session() as session:
        lead = make_lead(session, name="Secret Prospect")
    for path in (f"/dashboard/leads/{lead.id}", "/dashboard/leads", "/dashboard/leads.csv"):
        page = await dash.client.get(path, headers=HTML)
        assert page.status_code == 303, path
        assert page.headers["location"].startswith("/dashboard/login?next=")
        assert "Secret Prospect" not in page.text
        api = await dash.client.get(path, headers={"accept": "application/json"})
        assert api.status_code == 401, path
        assert "Secret Prospect" not in api.text
    # A lead that does not exist looks the same as one that does.
    missing = await dash.client.get("/dashboard/leads/999999", headers=HTML)
    assert missing.status_code == 303


async def test_dashboard_redirects_to_the_pipeline(dash: Dashboard) -> None:
    for path in ("/dashboard", "/dashboard/"):
        response = await dash.client.get(path, headers=HTML)
        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard/leads"


async def test_security_headers_on_pages_redirects_and_errors(dash: Dashboard) -> None:
    user = dash.account()
    responses = [
        await dash.page("/dashboard/login"),
        await dash.page("/dashboard/leads"),  # a redirect to the login form
    ]
    await dash.login(user)
    responses += [await dash.page("/dashboard/leads"), await dash.page("/dashboard/leads/424242")]
    assert [r.status_code for r in responses] == [200, 303, 200, 404]
    for response in responses:
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "form-action 'self'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
    assert "<script" not in responses[2].text  # no scripts at all, let alone inline ones
    css = await dash.client.get("/dashboard/static/dashboard.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert (await dash.client.get("/dashboard/static/secrets.txt")).status_code == 404


async def test_the_404_page_names_the_missing_lead(dash: Dashboard) -> None:
    await dash.login(dash.account())
    page = await dash.page("/dashboard/leads/424242")
    assert page.status_code == 404
    assert "no lead with id 424242" in text(page.text)
    assert page.headers["content-type"].startswith("text/html")


async def test_only_managers_see_approvals_in_the_navigation(dash: Dashboard) -> None:
    await dash.login(dash.account(role=Role.SDR))
    sdr_nav = text((await dash.page("/dashboard/leads")).text)
    assert "Pipeline" in sdr_nav and "Funnel" in sdr_nav
    assert "Approvals" not in sdr_nav
    dash.client.cookies.clear()
    await dash.login(dash.account(role=Role.MANAGER))
    assert "Approvals" in text((await dash.page("/dashboard/leads")).text)


async def test_an_sdr_gets_a_403_page_where_managers_only_may_go(dash: Dashboard) -> None:
    router = APIRouter(prefix="/dashboard", route_class=DashboardRoute)

    @router.get("/test-managers-only")
    def page(request: Request, user: Manager) -> HTMLResponse:
        return render_page(request, "error.html", user=user, title="Managers", message="welcome")

    dash.app.include_router(router)
    assert (await dash.page("/dashboard/test-managers-only")).status_code == 303
    await dash.login(dash.account(role=Role.SDR))
    refused = await dash.page("/dashboard/test-managers-only")
    assert refused.status_code == 403
    assert "only managers" in text(refused.text)
    assert "welcome" not in refused.text
    dash.client.cookies.clear()
    await dash.login(dash.account(role=Role.MANAGER))
    allowed = await dash.page("/dashboard/test-managers-only")
    assert allowed.status_code == 200
    assert "welcome" in allowed.text
