"""Signed webhooks: ``Sandbox-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.

Stripe's scheme (booking-reference.md §3). The receiver verifies with ``verify_signature``: the
timestamp inside the signed text makes a captured delivery useless after ``tolerance`` seconds,
and the comparison is in constant time so that the signature cannot be guessed byte by byte.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Sandbox-Signature"
DEFAULT_TOLERANCE = 300


class InvalidSignature(Exception):
    """A webhook whose signature does not prove it came from the provider, now."""


def compute_signature(payload: bytes, secret: str, *, timestamp: int) -> str:
    signed = str(timestamp).encode() + b"." + payload
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(payload: bytes, secret: str, *, timestamp: int) -> str:
    """The header value for ``payload`` sent at ``timestamp`` (Unix seconds)."""
    return f"t={timestamp},v1={compute_signature(payload, secret, timestamp=timestamp)}"


def verify_signature(
    payload: bytes, header: str, secret: str, *, now: float, tolerance: int = DEFAULT_TOLERANCE
) -> int:
    """Check the header of a received webhook; returns its timestamp, or raises InvalidSignature.

    ``payload`` is the raw body as received (a re-encoded JSON would not match). Several ``v1``
    values are accepted (a secret being rotated), as Stripe's receivers do.
    """
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise InvalidSignature("malformed signature header")
    if abs(now - timestamp) > tolerance:
        raise InvalidSignature("timestamp outside the tolerance")
    expected = compute_signature(payload, secret, timestamp=timestamp)
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise InvalidSignature("no signature matches the payload")
    return timestamp
