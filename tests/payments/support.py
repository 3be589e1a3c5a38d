"""Helpers of the card payment tests: the provider of the settings, and a payer going through
the sandbox's hosted page and 3-D Secure challenge in a browser-like client."""

from __future__ import annotations

import datetime
import json
import time
from urllib.parse import parse_qs, urlsplit

from django.test import Client

from cpf.bookings import services as bookings
from cpf.bookings.checkout import CheckoutResult, start_checkout
from cpf.bookings.models import Registration
from cpf.holders.models import TermsVersion
from cpf.ledger.models import Account, Transaction
from cpf.ledger.services import holder_rights_account
from cpf.payments.providers import get_provider
from cpf.payments.sandbox import SandboxProvider
from cpf.sandbox_psp.models import WebhookDelivery, WebhookEndpoint
from cpf.sandbox_psp.signatures import sign
from cpf.sandbox_psp.webhooks import event_body
from tests.bookings.support import allowed_holder, bookable_session, requested
from tests.clock import NOW
from tests.holders.factories import TermsVersionFactory
from tests.ledger.support import credit

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


# Registration files waiting for the holder's acceptance ------------------------------------

REQUESTED_AT = NOW - datetime.timedelta(hours=3)
VALIDATED_AT = NOW - datetime.timedelta(hours=2)
ACCEPTED_AT = NOW - datetime.timedelta(hours=1)
RIGHTS_CENTS = 1_000_00
RETURN_URL = "http://testserver/paiements/retour/{}/"


def validated_file(*, serial: int = 84, rights_cents: int = RIGHTS_CENTS) -> Registration:
    """A file whose proposal waits for its holder, who has ``rights_cents`` of rights: the
    card pays the rest of the 2 400 € and the flat participation."""
    terms = TermsVersion.objects.order_by("-pk").first() or TermsVersionFactory()
    holder = allowed_holder(terms, serial=serial)
    if rights_cents:
        credit(holder_rights_account(holder), rights_cents, key=f"rights:{holder.pk}")
    registration = requested(holder, bookable_session(), now=REQUESTED_AT)
    return bookings.validate_registration(registration=registration, actor=None, now=VALIDATED_AT)


def checkout(registration: Registration, *, now: datetime.datetime = ACCEPTED_AT) -> CheckoutResult:
    return start_checkout(
        registration=registration,
        holder=registration.holder,
        now=now,
        return_url=lambda: RETURN_URL.format(registration.pk),
    )


def deliver_webhooks(client: Client, *, event_type: str | None = None) -> list[tuple[int, dict]]:
    """Deliver the sandbox's pending webhook deliveries to our endpoint, as its worker does
    (the same body and signature), in order; returns the answers."""
    answers = []
    for delivery in (
        WebhookDelivery.objects.filter(delivered_at__isnull=True)
        .select_related("event", "endpoint")
        .order_by("pk")
    ):
        if event_type and delivery.event.type != event_type:
            continue
        answers.append(post_delivery(client, delivery))
        delivery.delivered_at = NOW
        delivery.attempts += 1
        delivery.save()
    return answers


def post_delivery(client: Client, delivery: WebhookDelivery, *, at: int | None = None) -> tuple[int, dict]:
    body = event_body(delivery)
    stamp = int(time.time()) if at is None else at
    response = client.post(
        urlsplit(delivery.endpoint.url).path,
        data=body,
        content_type="application/json",
        headers={"Sandbox-Signature": sign(body, delivery.endpoint.secret, timestamp=stamp)},
    )
    return response.status_code, json.loads(response.content)


def register_webhook_endpoint() -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(url=WEBHOOK_URL, secret=WEBHOOK_SECRET)


WEBHOOK_URL = "http://testserver/paiements/webhooks/sandbox/"


def ledger_keys() -> list[str]:
    return list(Transaction.objects.order_by("pk").values_list("idempotency_key", flat=True))


def balance(account_kind: str, holder) -> int:
    account = Account.objects.filter(kind=account_kind, holder=holder).first()
    return account.balance_cents if account else 0
