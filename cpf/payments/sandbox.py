"""The adapter of the sandbox payment provider (cpf/sandbox_psp/), spoken to over HTTP only, as
to a real provider: its JSON API on Stripe's PaymentIntent contract with the secret key as a
bearer token, its hosted payment page, and its signed webhooks (README, "The sandbox payment
provider").

The HTTP exchange goes through a *transport*, a callable taking the method, the URL, the headers
and the body and answering the status and the body: the standard library's by default
(``UrllibTransport``); ``PAYMENT_PSP_TRANSPORT`` may name another one (the test suite's calls
the sandbox inside its own process, with the same requests).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode, urljoin

from django.conf import settings
from django.utils.module_loading import import_string

from .enums import RemoteStatus
from .providers import InvalidNotification, Notification, ProviderError, RemotePayment, RemoteRefund

SIGNATURE_HEADER = "Sandbox-Signature"
SIGNATURE_TOLERANCE_SECONDS = 300
TIMEOUT_SECONDS = 10

Transport = Callable[[str, str, Mapping[str, str], bytes | None], tuple[int, bytes]]


class UrllibTransport:
    """HTTP with the standard library: no dependency, a timeout on every call."""

    def __init__(self, timeout: float = TIMEOUT_SECONDS) -> None:
        self.timeout = timeout

    def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes | None
    ) -> tuple[int, bytes]:
        request = urllib.request.Request(url, data=body, method=method, headers=dict(headers))
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


class SandboxProvider:
    name = "sandbox"

    def __init__(self, *, base_url: str, secret_key: str, webhook_secret: str, transport: Transport) -> None:
        self.base_url = base_url if base_url.endswith("/") else f"{base_url}/"
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.transport = transport

    @classmethod
    def from_settings(cls) -> SandboxProvider:
        transport_path = getattr(settings, "PAYMENT_PSP_TRANSPORT", "")
        transport = import_string(transport_path)() if transport_path else UrllibTransport()
        return cls(
            base_url=settings.PAYMENT_PSP_BASE_URL,
            secret_key=settings.PAYMENT_PSP_SECRET_KEY,
            webhook_secret=settings.PAYMENT_PSP_WEBHOOK_SECRET,
            transport=transport,
        )

    # The API ---------------------------------------------------------------------------------

    def create_payment(
        self, *, amount_cents: int, idempotency_key: str, metadata: Mapping[str, str]
    ) -> RemotePayment:
        body = {"amount": amount_cents, "currency": "eur", "metadata": dict(metadata)}
        return remote_payment(self.call("POST", "v1/payment_intents", body, idempotency_key=idempotency_key))

    def retrieve(self, payment_id: str) -> RemotePayment:
        return remote_payment(self.call("GET", f"v1/payment_intents/{payment_id}"))

    def cancel(self, payment_id: str, *, idempotency_key: str) -> RemotePayment:
        answer = self.call(
            "POST", f"v1/payment_intents/{payment_id}/cancel", {}, idempotency_key=idempotency_key
        )
        return remote_payment(answer)

    def refund(
        self, payment_id: str, *, amount_cents: int, idempotency_key: str, metadata: Mapping[str, str]
    ) -> RemoteRefund:
        body = {"payment_intent": payment_id, "amount": amount_cents, "metadata": dict(metadata)}
        answer = self.call("POST", "v1/refunds", body, idempotency_key=idempotency_key)
        return RemoteRefund(
            id=answer["id"],
            payment_id=answer["payment_intent"],
            amount_cents=answer["amount"],
            succeeded=answer["status"] == "succeeded",
            status=answer["status"],
        )

    def hosted_page_url(self, payment: RemotePayment, *, return_url: str) -> str:
        """The hosted payment page, for the payer's browser: the intent's client secret (never
        the API's key) and where to come back to."""
        query = urlencode({"client_secret": payment.client_secret, "return_url": return_url})
        return f"{urljoin(self.base_url, f'pay/{payment.id}/')}?{query}"

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, idempotency_key: str = ""
    ) -> dict[str, Any]:
        """One API call; the answer's JSON, or ProviderError. The body is serialised the same way
        every time (sorted keys), so that a repeated call under one idempotency key is the same
        request for the provider."""
        headers = {"Authorization": f"Bearer {self.secret_key}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        try:
            status, content = self.transport(method, urljoin(self.base_url, path), headers, data)
        except OSError as error:
            raise ProviderError("unreachable", str(error), retryable=True) from error
        try:
            answer = json.loads(content)
        except ValueError:
            raise ProviderError("invalid_answer", f"HTTP {status}", status=status, retryable=True) from None
        if 200 <= status < 300 and isinstance(answer, dict):
            return answer
        refusal = answer.get("error", {}) if isinstance(answer, dict) else {}
        raise ProviderError(
            refusal.get("code", "error"),
            refusal.get("message", f"HTTP {status}"),
            status=status,
            retryable=status >= 500 or status == 429,
        )

    # Webhooks --------------------------------------------------------------------------------

    def parse_notification(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime.datetime
    ) -> Notification:
        """Verify ``Sandbox-Signature: t=…,v1=…`` (HMAC-SHA256 of ``"<t>.<raw body>"`` with the
        webhook secret, compared in constant time, refused beyond 300 seconds either way), then
        read which payment the event is about."""
        timestamp = verify_signature(body, headers.get(SIGNATURE_HEADER, ""), self.webhook_secret, now=now)
        try:
            event = json.loads(body)
            payload = event["data"]["object"]
            payment_id = payload["payment_intent"] if payload.get("object") == "refund" else payload["id"]
            return Notification(
                event_id=str(event["id"]),
                type=str(event["type"]),
                payment_id=str(payment_id),
                sent_at=datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC),
                payload=event,
            )
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidNotification("not an event of the provider") from error


def verify_signature(body: bytes, header: str, secret: str, *, now: datetime.datetime) -> int:
    """The header's timestamp when one of its ``v1`` signatures matches and the timestamp is
    within the tolerance; InvalidNotification otherwise. No secret configured verifies nothing."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1" and value:
            candidates.append(value)
    if not secret or timestamp is None or not candidates:
        raise InvalidNotification("malformed signature header")
    if abs(now.timestamp() - timestamp) > SIGNATURE_TOLERANCE_SECONDS:
        raise InvalidNotification("timestamp outside the tolerance")
    signed = str(timestamp).encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise InvalidNotification("no signature matches the body")
    return timestamp


def remote_payment(answer: dict[str, Any]) -> RemotePayment:
    try:
        error = answer.get("last_payment_error") or {}
        return RemotePayment(
            id=answer["id"],
            status=RemoteStatus(answer["status"]),
            amount_cents=answer["amount"],
            received_cents=answer.get("amount_received", 0),
            refunded_cents=answer.get("amount_refunded", 0),
            currency=answer.get("currency", "eur"),
            failure_code=error.get("code", ""),
            client_secret=answer.get("client_secret", ""),
            metadata=answer.get("metadata") or {},
        )
    except (KeyError, ValueError, AttributeError) as error:
        raise ProviderError("invalid_answer", "not a payment intent", retryable=True) from error
