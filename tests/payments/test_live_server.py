"""The adapter over real HTTP (the standard library's, as in production) against the sandbox
served by a live server: create, pay on the hosted pages with 3-D Secure, re-read, refund."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.parse
import urllib.request

import pytest

from cpf.payments.enums import RemoteStatus
from cpf.payments.sandbox import SandboxProvider, UrllibTransport

from .support import THREE_D_SECURE, returned_query

pytestmark = pytest.mark.django_db(transaction=True)


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
