"""The dashboard's navigation. A page that is not built yet stays in the list with
`ready=False`: it is shown greyed out, not as a link; set `ready=True` when its route exists."""

from __future__ import annotations

from dataclasses import dataclass

from qualification.stages import Role
from storage.models import User


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    path: str
    managers_only: bool = False
    ready: bool = True


NAV: tuple[NavItem, ...] = (
    NavItem("pipeline", "Pipeline", "/dashboard/leads"),
    NavItem("approvals", "Approvals", "/dashboard/approvals", managers_only=True),
    NavItem("funnel", "Funnel", "/dashboard/funnel"),
    NavItem("flows", "Flows & rules", "/dashboard/flows"),
    NavItem("outbox", "Outbox", "/dashboard/outbox", managers_only=True),
)


def nav_for(user: User | None) -> tuple[NavItem, ...]:
    """The items this user may see (none before login)."""
    if user is None:
        return ()
    return tuple(i for i in NAV if not i.managers_only or user.role is Role.MANAGER)
