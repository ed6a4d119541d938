"""`/api/v1/widgets`: list, create, read and change widgets (API keys with `widgets:admin`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from bot.api.deps import require_scopes
from bot.runtime import Runtime
from bot.widget.schemas import ErrorResponse
from storage.models import ApiKey, Widget
from storage.widgets import create_widget, get_widget, list_widgets, update_widget

AdminKey = Annotated[ApiKey, Depends(require_scopes("widgets:admin"))]


class WidgetSettings(BaseModel):
    """Settings of a widget; on PATCH only the fields sent change."""

    name: str | None = Field(default=None, max_length=200)
    flow_id: str | None = Field(default=None, description="A loaded flow; empty for the default")
    allowed_origins: list[str] | None = Field(
        default=None, description="Origins (scheme://host[:port]) that may embed the widget"
    )
    greeting: str | None = Field(default=None, max_length=2000)
    consent_text: str | None = Field(default=None, max_length=2000)
    theme: dict[str, Any] | None = Field(
        default=None,
        description="color, text_color (#rrggbb), position (bottom-right|bottom-left), "
        "z_index, offset_x, offset_y (px)",
    )
    active: bool | None = None


class WidgetCreate(WidgetSettings):
    public_id: str | None = Field(
        default=None, max_length=64, description="The id in data-baton-widget; random if unset"
    )


class WidgetPublic(BaseModel):
    public_id: str
    name: str
    flow_id: str | None
    allowed_origins: list[str]
    greeting: str
    consent_text: str
    theme: dict[str, Any]
    active: bool
    embed_path: str = Field(description="Append to Baton's URL for the loader's src")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, widget: Widget) -> WidgetPublic:
        return cls(
            **widget.model_dump(
                include={
                    "public_id",
                    "name",
                    "flow_id",
                    "allowed_origins",
                    "greeting",
                    "consent_text",
                    "theme",
                    "active",
                    "created_at",
                    "updated_at",
                }
            ),
            embed_path="/widget.js",
        )


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "Missing or unknown API key"},
    403: {"model": ErrorResponse, "description": "The key lacks widgets:admin"},
    404: {"model": ErrorResponse, "description": "No such widget"},
}


def build_admin_api(rt: Runtime) -> APIRouter:
    router = APIRouter(prefix="/api/v1/widgets", tags=["widgets"], responses=ERRORS)

    @router.get("", summary="List widgets")
    def list_all(_key: AdminKey) -> list[WidgetPublic]:
        with rt.session() as session:
            return [WidgetPublic.of(w) for w in list_widgets(session=session)]

    @router.post(
        "",
        status_code=201,
        summary="Create a widget",
        responses={409: {"model": ErrorResponse}, 422: {"model": ErrorResponse}},
    )
    def create(body: WidgetCreate, _key: AdminKey) -> WidgetPublic:
        with rt.session() as session:
            widget = create_widget(
                session=session,
                flows=rt.flows,
                public_id=body.public_id,
                settings=body.model_dump(exclude_unset=True, exclude={"public_id"}),
            )
            session.commit()
            return WidgetPublic.of(widget)

    @router.get("/{public_id}", summary="Read a widget")
    def read(public_id: str, _key: AdminKey) -> WidgetPublic:
        with rt.session() as session:
            return WidgetPublic.of(get_widget(session=session, public_id=public_id))

    @router.patch(
        "/{public_id}", summary="Change a widget", responses={422: {"model": ErrorResponse}}
    )
    def change(public_id: str, body: WidgetSettings, _key: AdminKey) -> WidgetPublic:
        with rt.session() as session:
            widget = get_widget(session=session, public_id=public_id)
            update_widget(
                session=session,
                widget=widget,
                flows=rt.flows,
                changes=body.model_dump(exclude_unset=True),
            )
            session.commit()
            return WidgetPublic.of(widget)

    return router
