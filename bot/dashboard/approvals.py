"""`/dashboard/approvals`: managers approve or reject handoff requests, as they do in Slack.

A decision is a form post that redirects back (to the queue or to the lead's page) with
`?done=ID` when it was applied or `?late=ID` when someone decided first. The page then says
what happened from what the database holds, so the link carries no text of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from bot.dashboard.deps import CurrentUser, DashboardDep, Manager
from bot.dashboard.pages import STAGE_LABELS, render_page
from bot.dashboard.routing import DashboardRoute
from bot.dashboard.state import Dashboard
from qualification.errors import HandoffAlreadyDecided, IllegalStageChange, InvalidInput
from qualification.stages import Role
from storage.approvals import approval_queue, decide_request, decision, request_lead_id
from storage.models import User

QUEUE_PATH = "/dashboard/approvals"


@dataclass(frozen=True)
class Notice:
    """The result of a decision, shown once the browser is back on a page."""

    text: str
    applied: bool


def waited_for(waited: timedelta) -> str:
    """A wait as people say it: "under 1 min", "45 min", "4 h 10 min", "2 d 3 h"."""
    minutes = max(int(waited.total_seconds() // 60), 0)
    if minutes == 0:
        return "under 1 min"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


_ACTOR_KINDS = {"prospect": "the prospect", "system": "Baton", "marketing": "marketing"}


def actor_label(recorded: str) -> str:
    """A person's name as given, or a recorded actor as people say it: "prospect:web" is
    "the prospect (web)", "system:auto-approve" is "Baton (auto-approve)"."""
    kind, _, detail = recorded.partition(":")
    if kind == "user" and detail:
        return detail
    named = _ACTOR_KINDS.get(kind)
    if named is None:
        return recorded
    return f"{named} ({detail})" if detail else named


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def decision_notice(
    user: CurrentUser,
    dashboard: DashboardDep,
    done: Annotated[int | None, Query(ge=1, description="A decision just applied")] = None,
    late: Annotated[int | None, Query(ge=1, description="A decision not applied")] = None,
) -> Notice | None:
    """What a manager is told after deciding: read from the request as stored (a made-up link
    can only repeat what the database says)."""
    request_id = done or late
    if request_id is None or user.role is not Role.MANAGER:
        return None
    with dashboard.runtime.session() as session:
        decided = decision(session=session, request_id=request_id)
        session.commit()
    if decided is None:  # still pending, or no such request
        return None
    name = decided.lead_name or decided.lead_email or f"lead #{decided.lead_id}"
    if done is not None and decided.decided_by_user_id == user.id:
        stage = STAGE_LABELS.get(decided.stage, decided.stage)
        return Notice(
            text=f"You {decided.status} the handoff of {name}; the lead is now {stage}.",
            applied=True,
        )
    return Notice(
        text=(
            f"The handoff of {name} was already {decided.status}"
            f" by {actor_label(decided.decided_by)}"
            f" at {_when(decided.decided_at)}; your decision was not applied."
        ),
        applied=False,
    )


DecisionNotice = Annotated[Notice | None, Depends(decision_notice)]
Comment = Annotated[str, Form()]
BackTo = Annotated[str, Form(description='"lead": back to the lead\'s page; else the queue')]


def _decide(
    *,
    dashboard: Dashboard,
    user: User,
    request_id: int,
    approve: bool,
    comment: str,
    back: str,
) -> Response:
    """Decide, then send the browser back (Post/Redirect/Get) saying whether it was applied."""
    with dashboard.runtime.session() as session:
        try:
            decided = decide_request(
                session=session,
                request_id=request_id,
                approve=approve,
                user=user,
                comment=comment,
                rules=dashboard.runtime.rules,
            )
            lead_id: int | None = decided.lead_id
            session.commit()
            flag = "done"
        except HandoffAlreadyDecided:
            session.rollback()
            lead_id = request_lead_id(session=session, request_id=request_id)
            flag = "late"
        except IllegalStageChange as exc:  # the lead moved on some other way meanwhile
            raise InvalidInput(f"{exc}; nothing was changed") from exc
    page = f"/dashboard/leads/{lead_id}" if back == "lead" and lead_id else QUEUE_PATH
    return RedirectResponse(f"{page}?{flag}={request_id}", status_code=303)


def build_approvals_router() -> APIRouter:
    router = APIRouter(prefix="/dashboard", route_class=DashboardRoute, include_in_schema=False)

    @router.get("/approvals", name="dashboard_approvals", response_class=HTMLResponse)
    def approvals(
        request: Request, user: Manager, dashboard: DashboardDep, notice: DecisionNotice
    ) -> Response:
        """Pending handoff requests, oldest first, and the decisions of the last 7 days."""
        now = datetime.now(UTC)
        with dashboard.runtime.session() as session:
            queue = approval_queue(session=session, now=now)
            session.commit()
        return render_page(
            request,
            "approvals.html",
            user=user,
            active="approvals",
            queue=queue,
            waiting={p.view.request_id: waited_for(p.waited) for p in queue.pending},
            notice=notice,
            who=actor_label,
        )

    @router.post("/approvals/{request_id}/approve", name="dashboard_approve")
    def approve(
        request_id: int,
        user: Manager,
        dashboard: DashboardDep,
        comment: Comment = "",
        back: BackTo = "approvals",
    ) -> Response:
        """Approve: the lead becomes SQL; Slack's cards and the SDR hear it through the outbox."""
        return _decide(
            dashboard=dashboard,
            user=user,
            request_id=request_id,
            approve=True,
            comment=comment,
            back=back,
        )

    @router.post("/approvals/{request_id}/reject", name="dashboard_reject")
    def reject(
        request_id: int,
        user: Manager,
        dashboard: DashboardDep,
        comment: Comment = "",
        back: BackTo = "approvals",
    ) -> Response:
        """Reject with a comment: the lead goes where the rules say (stays SAL, or nurture)."""
        return _decide(
            dashboard=dashboard,
            user=user,
            request_id=request_id,
            approve=False,
            comment=comment,
            back=back,
        )

    return router
