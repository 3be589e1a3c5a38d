"""The adapter over real HTTP (the standard library's, as in production) against the sandbox
served by a live server: create, pay on the hosted pages with 3-D Secure, re-read, refund."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request

import pytest
from asgiref.sync import async_to_sync
from procrastinate.contrib.django import app

from cpf.bookings.checkout import start_checkout
from cpf.bookings.enums import PaymentState, RegistrationStatus
from cpf.bookings.models import Registration
from cpf.ledger.reconcile import reconcile
from cpf.payments.enums import PaymentStatus, RemoteStatus
from cpf.payments.models import Payment, WebhookReceipt
from cpf.payments.sandbox import SandboxProvider, UrllibTransport
from cpf.sandbox_psp.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import _TestWorkerConnector

from .support import ACCEPTED_AT, THREE_D_SECURE, WEBHOOK_SECRET, returned_query, validated_file
from .test_concurrency import APPS

pytestmark = [
    pytest.mark.django_db(transaction=True, available_apps=[*APPS, "dsfr", "cpf.www"]),
    pytest.mark.usefixtures("frozen_clock"),
]


class Browser:
    """A payer's browser: cookies kept (CSRF), redirects not followed."""

    def __init__(self) -> None:
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def open(self, url: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(urllib.request.Request(url, data=body), timeout=30) as response:
                return response.status, response.read().decode(), ""
        except urllib.error.HTTPError as answer:
            return answer.code, answer.read().decode(), answer.headers.get("Location", "")

    def submit(self, url: str, fields: dict[str, str]) -> str:
        status, html, _ = self.open(url)
        assert status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        status, _, location = self.open(url, {**fields, "csrfmiddlewaretoken": token})
        assert status == 302, status
        return urllib.parse.urljoin(url, location)


def test_a_card_payment_over_real_http(live_server, settings):
    provider = SandboxProvider(
        base_url=f"{live_server.url}/sandbox-psp/",
        secret_key=settings.PAYMENT_PSP_SECRET_KEY,
        webhook_secret=settings.PAYMENT_PSP_WEBHOOK_SECRET,
        transport=UrllibTransport(),
    )
    return_url = f"{live_server.url}/paiements/retour/1/"
    payment = provider.create_payment(
        amount_cents=99_00, idempotency_key="live:1", metadata={"registration": "1"}
    )
    browser = Browser()

    challenge = browser.submit(
        provider.hosted_page_url(payment, return_url=return_url),
        {"number": THREE_D_SECURE, "expiry": "12/30", "cvc": "123"},
    )
    assert "/3ds/" in challenge
    back = browser.submit(challenge, {"decision": "approve"})

    assert back.startswith(return_url)
    assert returned_query(back)["redirect_status"] == "succeeded"
    assert provider.retrieve(payment.id).status == RemoteStatus.SUCCEEDED
    refund = provider.refund(payment.id, amount_cents=9_00, idempotency_key="live:refund", metadata={})
    assert (refund.succeeded, provider.retrieve(payment.id).refunded_cents) == (True, 9_00)


def test_a_booking_paid_over_real_http_is_accepted_by_the_webhook_the_worker_delivers(live_server, settings):
    """The whole card path over real HTTP: the product creates the intent, the payer pays with
    3-D Secure on the hosted pages, the real worker delivers the signed webhooks to our
    endpoint, which re-reads the payment over HTTP and accepts the file."""
    settings.PAYMENT_PSP_BASE_URL = f"{live_server.url}/sandbox-psp/"
    settings.PAYMENT_PSP_TRANSPORT = ""
    WebhookEndpoint.objects.create(
        url=f"{live_server.url}/paiements/webhooks/sandbox/", secret=WEBHOOK_SECRET
    )
    registration = validated_file()
    result = start_checkout(
        registration=registration,
        holder=registration.holder,
        now=ACCEPTED_AT,
        return_url=lambda: f"{live_server.url}/paiements/retour/{registration.pk}/",
    )
    browser = Browser()

    challenge = browser.submit(
        result.payment_url, {"number": THREE_D_SECURE, "expiry": "12/30", "cvc": "123"}
    )
    browser.submit(challenge, {"decision": "approve"})
    run_worker()

    assert WebhookDelivery.objects.filter(delivered_at__isnull=True).count() == 0
    assert WebhookReceipt.objects.filter(processed_at__isnull=False).count() == 2
    file = Registration.objects.get(pk=registration.pk)
    assert (file.status, file.payment_state) == (RegistrationStatus.ACCEPTED, PaymentState.PAID)
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
    assert reconcile().ok


def run_worker() -> None:
    """The real worker loop over the webhooks queue until no job is due."""
    with app.replace_connector(_TestWorkerConnector()) as worker_app:
        async_to_sync(worker_app.run_worker_async)(
            queues=["webhooks"], wait=False, listen_notify=False, install_signal_handlers=False
        )
