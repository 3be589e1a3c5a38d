"""The payment provider as the product sees it: one interface, one adapter per provider, the one
in use chosen by the settings (``PAYMENT_PROVIDER``).

The product never trusts what a notification says: it verifies the signature, then re-reads the
payment from the provider (``retrieve``) before acting (booking-reference.md §3, as pretix and
Joanie do). Every call that changes something carries an idempotency key, so that a call repeated
after a lost answer changes nothing twice.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from .enums import RemoteStatus


class ProviderError(Exception):
    """The provider refused a call or could not be reached.

    ``code`` is the provider's error code (``unreachable`` when no answer came); ``retryable``
    says whether the same call may succeed later (network, 5xx), as opposed to a refusal."""

    def __init__(
        self, code: str, message: str, *, status: int | None = None, retryable: bool = False
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.retryable = retryable


class InvalidNotification(Exception):
    """A notification that does not prove it came from the provider, now: ignored."""


@dataclass(frozen=True)
class RemotePayment:
    """A payment as the provider reports it, in the product's terms."""

    id: str
    status: RemoteStatus
    amount_cents: int
    received_cents: int
    refunded_cents: int
    currency: str
    # The decline code of the last failed attempt ("" when none): a failed attempt leaves the
    # payment awaiting another card (Stripe's requires_payment_method).
    failure_code: str = ""
    client_secret: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status == RemoteStatus.AWAITING_CARD and bool(self.failure_code)


@dataclass(frozen=True)
class RemoteRefund:
    id: str
    payment_id: str
    amount_cents: int
    succeeded: bool
    status: str


@dataclass(frozen=True)
class Notification:
    """A verified notification: which event, about which payment. Its content beyond the
    payment's identity is not acted upon (the payment is re-read)."""

    event_id: str
    type: str
    payment_id: str
    sent_at: datetime.datetime
    payload: Mapping[str, Any] = field(default_factory=dict)


class PaymentProvider(Protocol):
    """What the product asks of a card payment provider."""

    name: str

    def create_payment(
        self, *, amount_cents: int, idempotency_key: str, metadata: Mapping[str, str]
    ) -> RemotePayment: ...

    def hosted_page_url(self, payment: RemotePayment, *, return_url: str) -> str: ...

    def retrieve(self, payment_id: str) -> RemotePayment: ...

    def cancel(self, payment_id: str, *, idempotency_key: str) -> RemotePayment: ...

    def refund(
        self, payment_id: str, *, amount_cents: int, idempotency_key: str, metadata: Mapping[str, str]
    ) -> RemoteRefund: ...

    def parse_notification(
        self, body: bytes, headers: Mapping[str, str], *, now: datetime.datetime
    ) -> Notification: ...


def get_provider() -> PaymentProvider:
    """The provider chosen by ``PAYMENT_PROVIDER`` (a dotted path to a class with a
    ``from_settings()`` constructor)."""
    provider_class = import_string(settings.PAYMENT_PROVIDER)
    provider: PaymentProvider = provider_class.from_settings()
    return provider
