"""The hosted payment page and the 3-D Secure challenge, as a payer goes through them."""

from __future__ import annotations

import importlib
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import clear_url_caches

from cpf.sandbox_psp.enums import IntentStatus
from cpf.sandbox_psp.models import PaymentIntent

from .support import DECLINED, INSUFFICIENT_FUNDS, SUCCEEDS, THREE_D_SECURE, new_intent

pytestmark = pytest.mark.django_db

RETURN_URL = "http://testserver/reservations/12/paiement/retour?etape=2"


def page_url(
    intent: PaymentIntent, *, secret: str | None = None, return_url: str = RETURN_URL, suffix: str = ""
) -> str:
    query = urlencode({"client_secret": secret or intent.client_secret, "return_url": return_url})
    return f"/sandbox-psp/pay/{intent.public_id}/{suffix}?{query}"


def pay_with(client: Client, intent: PaymentIntent, number: str, *, expiry: str = "12/30", cvc: str = "123"):
    return csrf_post(client, page_url(intent), {"number": number, "expiry": expiry, "cvc": cvc})


@pytest.fixture
def payer(frozen_clock) -> Client:
    return Client(enforce_csrf_checks=True)


def csrf_post(client: Client, url: str, data: dict):
    client.get(url)
    return client.post(url, {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})


def test_the_page_asks_for_the_card_in_french_without_inline_script_or_style(payer):
    intent = new_intent(150_00)

    response = payer.get(page_url(intent))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Numéro de carte" in html and "Date d&#x27;expiration" in html and "Cryptogramme visuel" in html
    assert "150,00" in html
    assert "style=" not in html and "<style" not in html
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_a_succeeding_card_goes_back_to_the_merchant(payer):
    intent = new_intent()

    response = csrf_post(
        payer, page_url(intent), {"number": "4242 4242 4242 4242", "expiry": "12/30", "cvc": "123"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{RETURN_URL}&payment_intent={intent.public_id}&redirect_status=succeeded"
    assert PaymentIntent.objects.get(pk=intent.pk).status == IntentStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("number", "message"),
    [(DECLINED, "refusée par votre banque"), (INSUFFICIENT_FUNDS, "solde de votre carte est insuffisant")],
)
def test_a_declined_card_is_explained_and_another_can_be_typed(payer, number, message):
    intent = new_intent()

    response = pay_with(payer, intent, number)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert PaymentIntent.objects.get(pk=intent.pk).status == IntentStatus.REQUIRES_PAYMENT_METHOD
    assert pay_with(payer, intent, SUCCEEDS).status_code == 302


def test_a_malformed_expiry_is_refused_by_the_form(payer):
    intent = new_intent()
    response = pay_with(payer, intent, SUCCEEDS, expiry="2030-12")
    assert "au format MM/AA" in response.content.decode()
    assert PaymentIntent.objects.get(pk=intent.pk).status == IntentStatus.REQUIRES_PAYMENT_METHOD


@pytest.mark.parametrize(
    ("decision", "status", "redirect"),
    [("approve", "succeeded", "succeeded"), ("refuse", "requires_payment_method", "failed")],
)
def test_the_three_d_secure_challenge(payer, decision, status, redirect):
    intent = new_intent()

    to_challenge = pay_with(payer, intent, THREE_D_SECURE)
    assert to_challenge.status_code == 302 and "/3ds/" in to_challenge["Location"]
    page = payer.get(to_challenge["Location"])
    assert "Authentification 3-D Secure" in page.content.decode()

    answered = csrf_post(payer, to_challenge["Location"], {"decision": decision})

    assert answered["Location"].endswith(f"&payment_intent={intent.public_id}&redirect_status={redirect}")
    assert PaymentIntent.objects.get(pk=intent.pk).status == status


def test_a_wrong_client_secret_shows_nothing(payer):
    intent = new_intent()
    assert payer.get(page_url(intent, secret="guessed")).status_code == 404


@pytest.mark.parametrize(
    "return_url", ["https://evil.example/steal", "//evil.example/x", "javascript:alert(1)", ""]
)
def test_the_payer_is_never_sent_to_another_site(payer, return_url):
    intent = new_intent()
    assert payer.get(page_url(intent, return_url=return_url)).status_code == 404
    assert PaymentIntent.objects.get(pk=intent.pk).status == IntentStatus.REQUIRES_PAYMENT_METHOD


def test_the_sandbox_is_not_served_when_disabled(settings):
    import config.urls

    settings.SANDBOX_PSP_ENABLED = False
    try:
        importlib.reload(config.urls)
        clear_url_caches()
        assert Client().get("/sandbox-psp/v1/payment_intents").status_code == 404
    finally:
        settings.SANDBOX_PSP_ENABLED = True
        importlib.reload(config.urls)
        clear_url_caches()
    assert Client().get("/sandbox-psp/v1/payment_intents").status_code == 401
