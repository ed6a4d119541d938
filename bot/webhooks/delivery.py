"""Delivering webhooks: one signed POST per outbox item, retried by the outbox worker.

An attempt fails, and is retried with the worker's backoff, unless the receiver answers 2xx
within BATON_WEBHOOK_TIMEOUT_SECONDS; redirects are not followed. The deliveries of one
endpoint go out in the order their events happened: an item queued behind a delivery that is
still being retried waits for it (without using up its own attempts).
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from bot.outbox import Deferred
from bot.runtime import Runtime
from bot.webhooks.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    signature_header,
)
from qualification.errors import BatonError, InvalidInput
from storage.models import OutboxItem
from storage.secrets import SecretBox
from storage.webhook_urls import LOCAL_HOSTS, address_allowed, check_url
from storage.webhooks import DELIVER, PING, earlier_pending, endpoint_of, get_endpoint

if TYPE_CHECKING:
    from bot.outbox import OutboxDispatcher

# With the worker's backoff (doubling from 5 s, at most an hour apart) 20 attempts keep trying
# for about half a day before an item is given up ('dead').
MAX_ATTEMPTS = 20
USER_AGENT = "Baton-Webhooks/1"
RESPONSE_EXCERPT_BYTES = 300


class WebhookFailed(Exception):
    """An attempt that got no 2xx answer: refused, unreachable, too slow, or an error status."""


@dataclass(frozen=True)
class Request:
    """One attempt, ready to send."""

    url: str
    secret: str
    event: str
    delivery_id: int
    body: bytes


def register_webhooks(dispatcher: OutboxDispatcher) -> None:
    """Deliver `webhook.deliver` items (queued by storage.webhook_events.fan_out)."""
    dispatcher.register(DELIVER, deliver, max_attempts=MAX_ATTEMPTS)


async def deliver(runtime: Runtime, item: OutboxItem) -> None:
    """The outbox handler: wait behind an earlier delivery to the endpoint, or send this one."""
    request = await asyncio.to_thread(prepare, runtime, item, in_order=True)
    await send(
        request,
        timeout=runtime.settings.webhook_timeout_seconds,
        allow_private=runtime.settings.webhook_allow_private_networks,
    )


def prepare(runtime: Runtime, item: OutboxItem, *, in_order: bool) -> Request:
    """The request for `item`, with the endpoint's secret decrypted. With `in_order`, raises
    Deferred while an earlier delivery to the same endpoint is still pending."""
    assert item.id is not None
    with runtime.session() as session:
        if in_order and item.payload.get("event") != PING:
            blocker = earlier_pending(session=session, item=item)
            if blocker is not None:
                raise Deferred(
                    until=blocker.next_attempt_at,
                    reason=f"waiting for delivery #{blocker.id} to the same endpoint",
                )
        endpoint = get_endpoint(session=session, endpoint_id=endpoint_of(item))
        if not endpoint.active:
            raise WebhookFailed(f"webhook endpoint {endpoint.id} is disabled")
        secret = SecretBox(runtime.settings.encryption_key).decrypt(endpoint.secret)
    return Request(
        url=endpoint.url,
        secret=secret,
        event=str(item.payload["event"]),
        delivery_id=item.id,
        body=body_of(item),
    )


def body_of(item: OutboxItem) -> bytes:
    """The JSON body: the same bytes for every attempt of one delivery."""
    payload = item.payload
    document = {
        "delivery_id": item.id,
        "event": payload["event"],
        "event_id": payload["event_id"],
        "occurred_at": payload["occurred_at"],
        "data": payload["data"],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


async def send(request: Request, *, timeout: float, allow_private: bool) -> int:
    """POST the request, signed now; the status if it is 2xx, WebhookFailed otherwise."""
    try:
        url = check_url(request.url, allow_private=allow_private)
    except InvalidInput as exc:
        raise WebhookFailed(f"refused to send to {request.url}: {exc}") from None
    host = (urlsplit(url).hostname or "").lower()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_HEADER: request.event,
        DELIVERY_HEADER: str(request.delivery_id),
        SIGNATURE_HEADER: signature_header(
            secret=request.secret, timestamp=int(time.time()), body=request.body
        ),
    }
    resolver = _CheckedResolver(local_host=host in LOCAL_HOSTS, allow_private=allow_private)
    connector = aiohttp.TCPConnector(resolver=resolver, use_dns_cache=False, force_close=True)
    try:
        async with (
            aiohttp.ClientSession(
                connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as http,
            http.post(url, data=request.body, headers=headers, allow_redirects=False) as answer,
        ):
            if 200 <= answer.status < 300:
                return answer.status
            excerpt = await answer.content.read(RESPONSE_EXCERPT_BYTES)
            detail = excerpt.decode(errors="replace").strip()
            failure = f"HTTP {answer.status} from {host}" + (f": {detail}" if detail else "")
    except TimeoutError:
        raise WebhookFailed(f"{host} did not answer within {timeout:g} s") from None
    except (aiohttp.ClientError, OSError) as exc:
        raise WebhookFailed(f"{host}: {type(exc).__name__}: {exc}") from None
    raise WebhookFailed(failure)


class _CheckedResolver(AbstractResolver):
    """Resolves host names and keeps only the addresses webhooks may be sent to
    (storage.webhook_urls), checked at connection time so a DNS change cannot get around it."""

    def __init__(self, *, local_host: bool, allow_private: bool) -> None:
        self._resolver = aiohttp.ThreadedResolver()
        self._local_host = local_host
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._resolver.resolve(host, port, family)
        allowed = [result for result in found if self._allowed(result["host"])]
        if not allowed:
            addresses = ", ".join(result["host"] for result in found)
            # aiohttp reports the strerror of what the resolver raised.
            raise OSError(errno.EACCES, f"{host} resolves to {addresses}: not a public address")
        return allowed

    def _allowed(self, address: str) -> bool:
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            return False
        return address_allowed(
            parsed, local_host=self._local_host, allow_private=self._allow_private
        )

    async def close(self) -> None:
        await self._resolver.close()


@dataclass(frozen=True)
class Attempt:
    """How one immediate delivery went (for `baton webhook test`)."""

    status: int | None
    error: str | None
    seconds: float


async def send_now(runtime: Runtime, item: OutboxItem) -> Attempt:
    """Send `item` at once, outside the worker (its order is not waited for)."""
    started = time.monotonic()
    try:
        request = await asyncio.to_thread(prepare, runtime, item, in_order=False)
        status = await send(
            request,
            timeout=runtime.settings.webhook_timeout_seconds,
            allow_private=runtime.settings.webhook_allow_private_networks,
        )
    except (WebhookFailed, BatonError) as exc:
        return Attempt(status=None, error=str(exc), seconds=time.monotonic() - started)
    return Attempt(status=status, error=None, seconds=time.monotonic() - started)
