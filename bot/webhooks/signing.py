"""Webhook signatures: HMAC-SHA256 of the timestamp and the body, keyed with the secret.

`Baton-Signature: t=<unix seconds>,v1=<hex digest of "<t>.<body>">`. The timestamp is part of
what is signed, so a receiver that refuses old timestamps also refuses replayed requests.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Baton-Signature"
EVENT_HEADER = "Baton-Event"
DELIVERY_HEADER = "Baton-Delivery"
SCHEME = "v1"


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>` with `secret`."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    """The value of the Baton-Signature header for this body, signed at `timestamp`."""
    return f"t={timestamp},{SCHEME}={signature(secret=secret, timestamp=timestamp, body=body)}"
