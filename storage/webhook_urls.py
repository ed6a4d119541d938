"""Which URLs and addresses webhooks may be sent to.

A webhook makes Baton send requests to a URL someone typed in, so the URL must not reach into
the network Baton runs in (server-side request forgery): cloud metadata services, databases,
admin consoles. Only https URLs are accepted, except on this machine (localhost, 127.0.0.1, ::1)
for development. Link-local, loopback, private and other non-public addresses are refused, both
as written in the URL and as a host name resolves at delivery time (so a DNS change cannot
get around it). Private networks (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10) can be
allowed for a relay inside the company network with BATON_WEBHOOK_ALLOW_PRIVATE_NETWORKS.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from qualification.errors import InvalidInput

# Hosts that name this machine: http is allowed to them, for development.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Carrier-grade NAT space: not global, and not counted as private by `ipaddress` either.
_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")


def address_allowed(address: IPAddress, *, local_host: bool, allow_private: bool) -> bool:
    """Whether a request may go to `address`; `local_host` when the URL names this machine."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return local_host
    if address.is_link_local or address.is_multicast or address.is_unspecified:
        return False
    if address.is_global:
        return True
    return allow_private and (address.is_private or address in _SHARED_ADDRESS_SPACE)


def check_url(url: str, *, allow_private: bool) -> str:
    """The URL, stripped, if webhooks may be sent to it; InvalidInput saying why not."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port that is not a number in range raises ValueError
    except ValueError as exc:
        raise InvalidInput(f"not a valid URL: {exc}") from None
    host = (parts.hostname or "").lower()
    if not host or parts.scheme not in ("http", "https"):
        raise InvalidInput("a webhook URL must look like https://crm.example.com/hooks/baton")
    if parts.username or parts.password:
        raise InvalidInput("put no credentials in a webhook URL: requests are signed instead")
    if len(url) > 2000:
        raise InvalidInput("a webhook URL can be at most 2000 characters")
    local = host in LOCAL_HOSTS
    if parts.scheme != "https" and not local:
        raise InvalidInput("webhook URLs must use https (http only for localhost)")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return url  # a host name: its addresses are checked each time it is resolved
    if not address_allowed(address, local_host=local, allow_private=allow_private):
        raise InvalidInput(
            f"{host} is not a public address; webhooks are not sent into Baton's own network"
            " (see BATON_WEBHOOK_ALLOW_PRIVATE_NETWORKS for a relay on a private network)"
        )
    return url
