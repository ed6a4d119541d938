"""Widgets: create, read, update and list embeddable chat widgets, with validated settings."""

from __future__ import annotations

import re
import secrets
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from qualification.errors import AlreadyExists, InvalidInput, NotFound
from storage.db import read_session
from storage.models import Widget, utcnow
from storage.savepoint import try_insert
from storage.widgetconfig import normalise_origin, normalise_origins, validate_theme

DEMO_ID = "demo"
# How long a process serves an active widget's settings from memory: a change made by another
# process (a worker, `baton widget`) takes effect within this; one made here, at once.
CACHE_SECONDS = 5.0
_PUBLIC_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
EDITABLE = ("name", "flow_id", "allowed_origins", "greeting", "consent_text", "theme", "active")
_LIMITS = {"name": 200, "greeting": 2000, "consent_text": 2000}

DEMO_CONSENT = (
    "By sharing your email you agree that we may contact you about this enquiry. "
    "This is a demo: everything you type is stored in this Baton's database."
)


class NamedFlow(Protocol):
    """Anything with a flow id (a dialogs `Flow`); the registry is an iterable of these."""

    @property
    def id(self) -> str: ...


def _check_flow(flow_id: str | None, flows: Iterable[NamedFlow]) -> str | None:
    if flow_id is None or flow_id == "":
        return None
    known = sorted(flow.id for flow in flows)
    if flow_id not in known:
        raise InvalidInput(f"no flow with id {flow_id!r}; loaded: {', '.join(known)}")
    return flow_id


def _check_text(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text")
    text = value.strip()
    if len(text) > _LIMITS[field]:
        raise InvalidInput(f"{field} is longer than {_LIMITS[field]} characters")
    return text


def _apply(widget: Widget, changes: Mapping[str, Any], flows: Iterable[NamedFlow]) -> None:
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"unknown widget settings: {', '.join(sorted(unknown))}")
    for field, value in changes.items():
        if field == "flow_id":
            widget.flow_id = _check_flow(value, flows)
        elif field == "allowed_origins":
            if isinstance(value, str) or not isinstance(value, Iterable):
                raise InvalidInput("allowed_origins must be a list of origins")
            widget.allowed_origins = normalise_origins(value)
        elif field == "theme":
            if not isinstance(value, Mapping):
                raise InvalidInput("theme must be an object")
            widget.theme = validate_theme(value, base=widget.theme)
        elif field == "active":
            widget.active = bool(value)
        else:
            setattr(widget, field, _check_text(field, value))


def create_widget(
    *,
    session: Session,
    flows: Iterable[NamedFlow],
    public_id: str | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Widget:
    """Add a widget (a random public id unless given); settings are validated. Flushes."""
    if public_id is None:
        public_id = "w_" + secrets.token_hex(8)
    if not _PUBLIC_ID.match(public_id):
        raise InvalidInput("a widget id has 1-64 letters, digits, '-' or '_'")
    widget = Widget(public_id=public_id, theme=validate_theme({}))
    _apply(widget, settings or {}, flows)
    if try_insert(session, widget) is not None:
        raise AlreadyExists(f"a widget with id {public_id!r} already exists")
    return widget


def find_widget(*, session: Session, public_id: str) -> Widget | None:
    """The widget with this public id, active or not."""
    return session.exec(select(Widget).where(Widget.public_id == public_id)).first()


def get_widget(*, session: Session, public_id: str, active_only: bool = False) -> Widget:
    """The widget with this public id; NotFound if there is none (or it is off and
    `active_only`)."""
    widget = find_widget(session=session, public_id=public_id)
    if widget is None or (active_only and not widget.active):
        raise NotFound(f"no widget with id {public_id!r}")
    return widget


# Per engine (so per app and per test): public id -> (expires at, the widget as read).
_active: weakref.WeakKeyDictionary[Engine, dict[str, tuple[float, Widget]]] = (
    weakref.WeakKeyDictionary()
)


def active_widget(
    *,
    engine: Engine,
    public_id: str,
    seconds: float = CACHE_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> Widget:
    """The active widget with this public id, read at most `seconds` ago by this process
    (NotFound otherwise; a missing widget is not remembered). A read-only transaction, so on
    SQLite it never waits for the write lock. The widget is shared: do not change it."""
    widgets = _active.setdefault(engine, {})
    now = clock()
    known = widgets.get(public_id)
    if known is not None and known[0] > now:
        return known[1]
    with read_session(engine) as session:
        widget = get_widget(session=session, public_id=public_id, active_only=True)
        session.commit()  # ends the read, keeps `widget` loaded
    widgets[public_id] = (now + seconds, widget)
    return widget


def forget_widget(*, session: Session, public_id: str) -> None:
    """Drop this process's remembered copy of a widget (it was just changed)."""
    bind = session.get_bind()
    if isinstance(bind, Engine):
        _active.get(bind, {}).pop(public_id, None)


def update_widget(
    *, session: Session, widget: Widget, flows: Iterable[NamedFlow], changes: Mapping[str, Any]
) -> Widget:
    """Change the given settings (validated; nothing changes if one is invalid). Flushes."""
    draft = Widget.model_validate(widget.model_dump())
    _apply(draft, changes, flows)
    for field in changes:
        setattr(widget, field, getattr(draft, field))
    widget.updated_at = utcnow()
    session.add(widget)
    session.flush()
    forget_widget(session=session, public_id=widget.public_id)
    return widget


def list_widgets(*, session: Session) -> list[Widget]:
    """All widgets, oldest first."""
    return list(session.exec(select(Widget).order_by(col(Widget.id))).all())


def ensure_demo_widget(*, session: Session, origin: str | Iterable[str]) -> Widget:
    """The "demo" widget for Baton's own demo page, allowing `origin`; created when missing.

    An existing demo widget keeps its settings; missing origins are added. Commits.
    """
    origins = normalise_origins([origin] if isinstance(origin, str) else origin)
    widget = find_widget(session=session, public_id=DEMO_ID)
    if widget is None:
        widget = Widget(
            public_id=DEMO_ID,
            name="Demo",
            allowed_origins=origins,
            greeting="Hi! Curious whether we're a fit? Answer a few questions here.",
            consent_text=DEMO_CONSENT,
            theme=validate_theme({}),
        )
        if try_insert(session, widget) is not None:  # another worker made it first
            widget = get_widget(session=session, public_id=DEMO_ID)
    missing = [o for o in origins if o not in widget.allowed_origins]
    if missing:
        widget.allowed_origins = [*widget.allowed_origins, *missing]
        session.add(widget)
    session.commit()
    forget_widget(session=session, public_id=DEMO_ID)
    return widget


def origin_allowed(widget: Widget, origin: str) -> bool:
    """Whether `origin` (as a browser sends it) is one of the widget's allowed origins."""
    try:
        return normalise_origin(origin) in widget.allowed_origins
    except InvalidInput:
        return False
