"""How webhook receivers know a message comes from this Vigil: an HMAC-SHA256 over time and body.

The signed text is ``"<timestamp>.<body>"``, so an old message replayed later is refused by a
receiver that checks the timestamp (docs/notifications.md shows the receiver's side).
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Vigil-Signature"
TIMESTAMP_HEADER = "X-Vigil-Timestamp"
SCHEME = "sha256="


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The value of ``X-Vigil-Signature`` for ``body`` sent at ``timestamp`` (Unix seconds)."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return SCHEME + digest


def signature_valid(*, secret: str, timestamp: str, body: bytes, header: str, now: float,
                    tolerance_seconds: int = 300) -> bool:  # fmt: skip
    """What a receiver checks: the signature matches and the message is not older than the tolerance."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now - sent) > tolerance_seconds:
        return False
    return hmac.compare_digest(signature(secret=secret, timestamp=sent, body=body), header or "")
