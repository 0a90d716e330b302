"""The signature on every exchange with the command-coordination platform, both directions:
`X-City-Signature: sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">` with the shared secret, beside
`X-City-Timestamp` (Unix seconds). Signing the timestamp with the body makes an old message useless
once the tolerance has passed, and the receiver's event-id check makes a replay within it harmless."""

from __future__ import annotations

import hashlib
import hmac

SCHEME = "sha256="
# How far a message's timestamp may be from the receiver's clock, either way.
TOLERANCE_SECONDS = 300


class BadSignature(Exception):
    """Missing, malformed, wrong, or signed too long ago (or ahead): the message is refused."""


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return SCHEME + mac.hexdigest()


def verify(
    secret: str,
    timestamp: str | None,
    signed: str | None,
    body: bytes,
    now: float,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Raises BadSignature unless `signed` is this body's signature at `timestamp`, and `timestamp` is
    within `tolerance` seconds of `now`."""
    if not secret or not timestamp or not signed or not timestamp.isascii() or not timestamp.isdigit():
        raise BadSignature("missing or malformed signature headers")
    at = int(timestamp)
    if abs(now - at) > tolerance:
        raise BadSignature("timestamp outside the tolerance")
    # Compared in constant time: the time a comparison takes must not tell how much of it matched.
    if not hmac.compare_digest(signature(secret, at, body), signed.strip()):
        raise BadSignature("signature does not match")
