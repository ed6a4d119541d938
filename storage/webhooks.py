"""Webhook endpoints and their delivery log.

Each delivery is an outbox item (topic `webhook.deliver`), so the outbox is the log: status,
attempts, last error. Its dedupe key `webhook:<endpoint>:<event>` makes one delivery per endpoint
and event, and lets the deliveries of one endpoint be found and kept in order.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from qualification.errors import InvalidInput, NotFound
from storage.models import OutboxItem, WebhookEndpoint, utcnow
from storage.outbox_worker import DEAD, PENDING
from storage.secrets import SecretBox
from storage.webhook_urls import check_url

DELIVER = "webhook.deliver"
KIND = "webhook"
ALL = "*"
PING = "ping"
# The domain events an endpoint can receive.
EVENTS = (
    "lead.stage_changed",
    "handoff.requested",
    "handoff.decided",
    "conversation.completed",
    "lead.erased",
)
DISABLED_ERROR = "endpoint disabled before delivery"


def parse_events(text: str) -> list[str]:
    """`lead.stage_changed,handoff.decided` (or `*`) as a list; InvalidInput for unknown names."""
    names = list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if not names:
        raise InvalidInput(f"name at least one event ({', '.join(EVENTS)}) or * for all")
    if ALL in names:
        return [ALL]
    unknown = [name for name in names if name not in EVENTS]
    if unknown:
        raise InvalidInput(
            f"unknown event {', '.join(unknown)}; choose from {', '.join(EVENTS)} or *"
        )
    return names


def subscribes(endpoint: WebhookEndpoint, event: str) -> bool:
    return ALL in endpoint.events or event in endpoint.events


def new_secret() -> str:
    """A signing secret: 32 random bytes, URL-safe text with a recognisable prefix."""
    return "whsec_" + secrets.token_urlsafe(32)


def add_endpoint(
    *,
    session: Session,
    url: str,
    events: Iterable[str],
    box: SecretBox,
    description: str = "",
    allow_private: bool = False,
) -> tuple[WebhookEndpoint, str]:
    """Add an active endpoint; returns it and its signing secret (stored only encrypted)."""
    names = parse_events(",".join(events))
    secret = new_secret()
    endpoint = WebhookEndpoint(
        url=check_url(url, allow_private=allow_private),
        events=names,
        secret=box.encrypt(secret),
        description=description.strip()[:500],
    )
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def list_endpoints(*, session: Session) -> list[WebhookEndpoint]:
    return list(session.exec(select(WebhookEndpoint).order_by(col(WebhookEndpoint.id))).all())


def get_endpoint(*, session: Session, endpoint_id: int) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}")
    return endpoint


def active_endpoints_for(*, session: Session, event: str) -> list[WebhookEndpoint]:
    """The active endpoints that receive `event`, oldest first."""
    rows = session.exec(
        select(WebhookEndpoint)
        .where(col(WebhookEndpoint.active).is_(True))
        .order_by(col(WebhookEndpoint.id))
    ).all()
    return [endpoint for endpoint in rows if subscribes(endpoint, event)]


def set_active(*, session: Session, endpoint_id: int, active: bool) -> tuple[WebhookEndpoint, int]:
    """Enable or disable an endpoint. Disabling also ends its pending deliveries (as dead, with
    the reason as their error, so `baton outbox retry` can still send one). Returns the endpoint
    and how many deliveries were ended."""
    endpoint = get_endpoint(session=session, endpoint_id=endpoint_id)
    endpoint.active = active
    session.add(endpoint)
    ended = 0
    if not active:
        result = session.execute(
            update(OutboxItem)
            .where(
                col(OutboxItem.topic) == DELIVER,
                col(OutboxItem.status) == PENDING,
                col(OutboxItem.dedupe_key).like(_prefix(endpoint_id) + "%"),
            )
            .values(status=DEAD, last_error=DISABLED_ERROR)
            .execution_options(synchronize_session=False)
        )
        ended = int(result.rowcount)  # type: ignore[attr-defined]
    session.flush()
    return endpoint, ended


def _prefix(endpoint_id: int) -> str:
    return f"{KIND}:{endpoint_id}:"


def delivery_key(endpoint_id: int, event_id: int) -> str:
    return f"{_prefix(endpoint_id)}{event_id}"


def endpoint_of(item: OutboxItem) -> int:
    return int(item.payload["endpoint_id"])


def deliveries(
    *, session: Session, endpoint_id: int | None = None, limit: int = 20
) -> list[OutboxItem]:
    """The newest deliveries (of one endpoint, or of all), newest first."""
    query = select(OutboxItem).where(OutboxItem.topic == DELIVER)
    if endpoint_id is not None:
        query = query.where(col(OutboxItem.dedupe_key).like(_prefix(endpoint_id) + "%"))
    return list(session.exec(query.order_by(col(OutboxItem.id).desc()).limit(limit)).all())


def earlier_pending(*, session: Session, item: OutboxItem) -> OutboxItem | None:
    """The oldest delivery to the same endpoint that was queued before `item` and is still
    pending (being retried), if any: `item` must wait for it to keep the endpoint's order.
    Pings keep no order and hold nothing up."""
    endpoint_id = endpoint_of(item)
    return session.exec(
        select(OutboxItem)
        .where(
            OutboxItem.topic == DELIVER,
            OutboxItem.status == PENDING,
            col(OutboxItem.id) < item.id,
            col(OutboxItem.dedupe_key).like(_prefix(endpoint_id) + "%"),
            col(OutboxItem.dedupe_key).not_like(f"{_prefix(endpoint_id)}{PING}:%"),
        )
        .order_by(col(OutboxItem.id))
        .limit(1)
    ).first()


def queue_ping(
    *, session: Session, endpoint: WebhookEndpoint, lease_seconds: int = 60
) -> OutboxItem:
    """A `ping` delivery to send at once by whoever queues it: it is leased for
    `lease_seconds`, so no worker takes it meanwhile."""
    assert endpoint.id is not None
    now = utcnow()
    item = OutboxItem(
        kind=KIND,
        topic=DELIVER,
        payload={
            "endpoint_id": endpoint.id,
            "event": PING,
            "event_id": None,
            "occurred_at": now.isoformat(),
            "data": {"endpoint_id": endpoint.id, "message": "Baton webhook test"},
        },
        dedupe_key=f"{_prefix(endpoint.id)}{PING}:{secrets.token_hex(8)}",
        next_attempt_at=now + timedelta(seconds=lease_seconds),
    )
    session.add(item)
    session.flush()
    return item
