"""Website visitors of a widget, known by an opaque server-issued token stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from qualification.lifecycle import Actor
from storage.leads import create_lead
from storage.models import Lead, LeadCreate, Visitor, Widget, utcnow

# Page context keys kept, and the longest value kept for each.
CONTEXT_KEYS = {
    "url": 2000,
    "referrer": 2000,
    "title": 300,
    "utm_source": 200,
    "utm_medium": 200,
    "utm_campaign": 200,
    "utm_content": 200,
    "utm_term": 200,
}
_MAX_TOKEN = 200


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def clean_page_context(raw: Mapping[str, Any] | None) -> dict[str, str]:
    """Only known keys with text values, each cut to its limit."""
    context: dict[str, str] = {}
    for key, limit in CONTEXT_KEYS.items():
        value = (raw or {}).get(key)
        if isinstance(value, str) and value.strip():
            context[key] = value.strip()[:limit]
    return context


def source_of(context: Mapping[str, str]) -> dict[str, str]:
    """Lead source fields from page context: campaign, asset (content or page), channel."""
    source: dict[str, str] = {}
    if context.get("utm_campaign"):
        source["source_campaign"] = context["utm_campaign"][:200]
    asset = context.get("utm_content") or context.get("url")
    if asset:
        source["source_asset"] = asset[:200]
    medium = "/".join(v for v in (context.get("utm_source"), context.get("utm_medium")) if v)
    source["source_channel"] = (medium or "web widget")[:100]
    return source


def fill_source(*, lead: Lead, context: Mapping[str, str]) -> bool:
    """Set the lead's empty source fields from page context; True if any changed."""
    changed = False
    for field, value in source_of(context).items():
        if not getattr(lead, field):
            setattr(lead, field, value)
            changed = True
    return changed


def visitor_for_token(*, session: Session, widget: Widget, token: str | None) -> Visitor | None:
    """The widget's visitor holding `token`; None for no token, a made-up token or another
    widget's token."""
    if not token or len(token) > _MAX_TOKEN:
        return None
    visitor = session.exec(select(Visitor).where(Visitor.token_hash == hash_token(token))).first()
    if visitor is None or visitor.widget_id != widget.id:
        return None
    return visitor


def open_visitor(
    *,
    session: Session,
    widget: Widget,
    token: str | None,
    page_context: Mapping[str, Any] | None,
) -> tuple[Visitor, str]:
    """The visitor holding `token`, or a new visitor with a new lead and token.

    Returns (visitor, token). A token unknown to this widget never reveals anything:
    the caller gets a new visitor. Flushes; the caller commits.
    """
    context = clean_page_context(page_context)
    now = utcnow()
    visitor = visitor_for_token(session=session, widget=widget, token=token)
    if visitor is not None and token is not None:
        visitor.last_seen_at = now
        if context:
            visitor.page_context = context
        session.add(visitor)
        session.flush()
        return visitor, token
    assert widget.id is not None
    lead = create_lead(
        session=session,
        data=LeadCreate.model_validate(source_of(context)),
        actor=Actor.system(f"widget {widget.public_id}"),
    )
    assert lead.id is not None
    new_token = secrets.token_urlsafe(32)
    visitor = Visitor(
        widget_id=widget.id,
        token_hash=hash_token(new_token),
        lead_id=lead.id,
        page_context=context,
        created_at=now,
        last_seen_at=now,
    )
    session.add(visitor)
    session.flush()
    return visitor, new_token
