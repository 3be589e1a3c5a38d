"""Helpers of the card payment tests: the provider of the settings, and a payer going through
the sandbox's hosted page and 3-D Secure challenge in a browser-like client."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from django.test import Client

from cpf.payments.providers import get_provider
from cpf.payments.sandbox import SandboxProvider
from cpf.sandbox_psp.signatures import sign

SUCCEEDS = "4242424242424242"
THREE_D_SECURE = "4000002760003184"
DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"

WEBHOOK_SECRET = "whsec_test_suite_only"


def sandbox() -> SandboxProvider:
    provider = get_provider()
    assert isinstance(provider, SandboxProvider)
    return provider


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def pay_on_hosted_page(payer: Client, url: str, number: str, *, approve: bool = True) -> str:
    """Type ``number`` on the hosted page at ``url`` (then answer the 3-D Secure challenge when
    asked); returns where the payer is sent back to (the merchant's return URL with
    ``payment_intent`` and ``redirect_status``), or "" when the page shows a refusal."""
    path = local_path(url)
    response = payer.post(path, {"number": number, "expiry": "12/30", "cvc": "123"})
    if response.status_code == 200:
        return ""
    assert response.status_code == 302, response.status_code
    if "/3ds/" in response["Location"]:
        challenge = response["Location"]
        assert payer.get(challenge).status_code == 200
        response = payer.post(challenge, {"decision": "approve" if approve else "refuse"})
        assert response.status_code == 302
    return response["Location"]


def returned_query(location: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


def signed_event(event: dict, *, at: int, secret: str = WEBHOOK_SECRET) -> tuple[bytes, str]:
    """A webhook's body and signature header as the sandbox sends them."""
    body = json.dumps(event, separators=(",", ":"), sort_keys=True).encode()
    return body, sign(body, secret, timestamp=at)


def intent_event(event_id: str, event_type: str, intent: dict) -> dict:
    return {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": intent["created"],
        "data": {"object": intent},
    }
