"""The signature of a provider's webhook: ``Compte-Formation-Signature: t=<unix time>,v1=<hex
HMAC-SHA256(secret, "<t>.<body>")>``, Stripe's scheme. The timestamp inside the signed text
makes a captured delivery useless after a few minutes; receivers compare in constant time
(docs/provider-webhooks.md shows how)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "Compte-Formation-Signature"


def sign(body: bytes, secret: str, *, timestamp: int) -> str:
    signed = str(timestamp).encode() + b"." + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
