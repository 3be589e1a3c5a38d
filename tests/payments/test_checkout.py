"""Acceptance paid in part by card, from the reservation to the provider's webhook, through the
sandbox provider's API and hosted pages (in this process): accepted when paid, released and
"refused" when declined, nothing changed by a replayed or forged notification."""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django.test import Client

from cpf.bookings.enums import PaymentState, RegistrationStatus
from cpf.bookings.models import Registration
from cpf.ledger.enums import AccountKind
from cpf.ledger.reconcile import reconcile
from cpf.payments.enums import PaymentEventKind, PaymentStatus
from cpf.payments.models import Payment, PaymentEvent, WebhookReceipt
from cpf.sandbox_psp.models import PaymentIntent, WebhookDelivery, WebhookEndpoint, WebhookEvent

from .support import (
    DECLINED,
    RETURN_URL,
    RIGHTS_CENTS,
    THREE_D_SECURE,
    balance,
    checkout,
    deliver_webhooks,
    ledger_keys,
    pay_on_hosted_page,
    post_delivery,
    register_webhook_endpoint,
    returned_query,
    validated_file,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]
S = RegistrationStatus


@pytest.fixture
def psp() -> Client:
    """The sandbox's side: its webhook endpoint registered, and a client to deliver with."""
    register_webhook_endpoint()
    return Client()


def reloaded(registration: Registration) -> Registration:
    return Registration.objects.get(pk=registration.pk)


def test_checkout_reserves_and_creates_the_intent_for_the_card_part(psp):
    registration = validated_file()

    result = checkout(registration)

    payment = Payment.objects.get()
    intent = PaymentIntent.objects.get()
    assert result.split.rights_cents == RIGHTS_CENTS
    assert result.split.card_total_cents == payment.amount_cents == intent.amount_cents > 0
    assert (payment.status, payment.psp_id, payment.attempt) == (PaymentStatus.PENDING, intent.public_id, 1)
    assert payment.idempotency_key == f"registration:{registration.pk}:attempt:1"
    assert result.payment_url == payment.hosted_page_url
    assert result.payment_url.startswith(
        f"http://testserver/sandbox-psp/pay/{intent.public_id}/?client_secret="
    )
    file = reloaded(registration)
    assert (file.status, file.payment_state) == (S.VALIDATED, PaymentState.PENDING)
    assert balance(AccountKind.HOLDER_RESERVED, file.holder) == RIGHTS_CENTS
    assert intent.metadata == {"registration": str(registration.pk), "attempt": "1"}


def test_paid_with_3ds_on_the_hosted_page_then_the_webhook_accepts_the_file(psp):
    registration = validated_file()
    result = checkout(registration)

    back = pay_on_hosted_page(Client(), result.payment_url, THREE_D_SECURE)
    answers = deliver_webhooks(psp)

    assert back.startswith(RETURN_URL.format(registration.pk))
    assert returned_query(back)["redirect_status"] == "succeeded"
    assert [status for status, _ in answers] == [200, 200]  # requires_action, then succeeded
    payment = Payment.objects.get()
    file = reloaded(registration)
    assert (file.status, file.payment_state) == (S.ACCEPTED, PaymentState.PAID)
    assert file.card_held_cents == payment.captured_cents == result.split.card_total_cents
    assert (payment.status, payment.authorised_cents, payment.refunded_cents) == (
        PaymentStatus.SUCCEEDED,
        payment.amount_cents,
        0,
    )
    assert sorted(PaymentEvent.objects.values_list("kind", flat=True)) == [
        PaymentEventKind.AUTHORISED,
        PaymentEventKind.CAPTURED,
    ]
    # Learnt from the first notification (3-D Secure asked), whose re-read found the payment paid.
    first_event = WebhookEvent.objects.get(type="payment_intent.requires_action").public_id
    assert set(PaymentEvent.objects.values_list("psp_event_id", flat=True)) == {first_event}
    assert f"psp:{payment.psp_id}" in ledger_keys()
    assert reconcile().ok


def test_a_declined_card_releases_the_reservation_and_the_holder_may_try_again(psp, deliver_emails):
    registration = validated_file()
    holder = registration.holder
    result = checkout(registration)

    assert pay_on_hosted_page(Client(), result.payment_url, DECLINED) == ""  # the page says why
    deliver_webhooks(psp)

    payment = Payment.objects.get()
    file = reloaded(registration)
    assert (payment.status, payment.failure_code, payment.captured_cents) == (
        PaymentStatus.CANCELED,
        "card_declined",
        0,
    )
    assert PaymentIntent.objects.get().status == "canceled"  # no later card can pay it
    assert (file.status, file.payment_state) == (S.VALIDATED, PaymentState.REFUSED)
    assert file.get_payment_state_display() == "Paiement refusé — vous pouvez réessayer"
    assert balance(AccountKind.HOLDER_RESERVED, holder) == 0
    assert balance(AccountKind.HOLDER_RIGHTS, holder) == RIGHTS_CENTS
    assert reconcile().ok
    deliver_emails()
    refused = [m for m in mail.outbox if m.subject.startswith("Paiement refusé")]
    assert len(refused) == 1
    assert refused[0].to == [holder.user.email]

    retry = checkout(file)

    assert Payment.objects.get(status=PaymentStatus.PENDING).attempt == 2
    assert retry.payment_url != result.payment_url
    assert reloaded(registration).payment_state == PaymentState.PENDING


def test_a_replayed_webhook_is_dropped_and_changes_nothing(psp):
    registration = validated_file()
    pay_on_hosted_page(Client(), checkout(registration).payment_url, "4242424242424242")
    deliver_webhooks(psp)
    before = (
        ledger_keys(),
        list(PaymentEvent.objects.values_list("pk", flat=True)),
        reloaded(registration).status,
    )

    delivery = WebhookDelivery.objects.get(event__type="payment_intent.succeeded")
    answer = post_delivery(psp, delivery)

    assert answer == (200, {"received": delivery.event.public_id, "duplicate": True})
    assert (
        ledger_keys(),
        list(PaymentEvent.objects.values_list("pk", flat=True)),
        reloaded(registration).status,
    ) == before
    assert WebhookReceipt.objects.filter(event_id=delivery.event.public_id).count() == 1


def test_a_signed_notification_is_not_believed_the_payment_is_read_again(psp):
    """A notification saying "succeeded" for a payment the provider still awaits changes nothing."""
    registration = validated_file()
    checkout(registration)
    intent = PaymentIntent.objects.get()
    event = WebhookEvent.objects.create(
        type="payment_intent.succeeded",
        created_at=intent.created_at,
        payload={
            "id": "evt_claims_success",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {"object": {"id": intent.public_id, "object": "payment_intent", "status": "succeeded"}},
        },
    )
    delivery = WebhookDelivery.objects.create(event=event, endpoint=WebhookEndpoint.objects.get())

    assert post_delivery(psp, delivery)[0] == 200

    assert reloaded(registration).payment_state == PaymentState.PENDING
    assert Payment.objects.get().status == PaymentStatus.PENDING
    assert not PaymentEvent.objects.exists()


@pytest.mark.parametrize("age", [301, -301])
def test_a_stale_or_forged_signature_is_refused_and_changes_nothing(psp, age):
    registration = validated_file()
    pay_on_hosted_page(Client(), checkout(registration).payment_url, "4242424242424242")
    delivery = WebhookDelivery.objects.get(event__type="payment_intent.succeeded")

    stale = post_delivery(psp, delivery, at=int(time.time()) - age)
    delivery.endpoint.secret = "whsec_guessed"
    forged = post_delivery(psp, delivery)

    assert stale == forged == (400, {"error": "invalid_signature"})
    assert reloaded(registration).payment_state == PaymentState.PENDING
    assert not WebhookReceipt.objects.exists() and not PaymentEvent.objects.exists()


def test_the_holder_back_before_the_webhook_finds_the_file_accepted_and_the_webhook_then_changes_nothing(psp):
    registration = validated_file()
    back = pay_on_hosted_page(Client(), checkout(registration).payment_url, "4242424242424242")
    holder_browser = Client()
    holder_browser.force_login(registration.holder.user)

    response = holder_browser.get(back, follow=True)

    assert response.redirect_chain[0][0] == f"/compte/dossiers/{registration.pk}/"
    assert "Paiement accepté : votre inscription est confirmée." in response.content.decode()
    assert reloaded(registration).status == S.ACCEPTED
    keys = ledger_keys()
    deliver_webhooks(psp)
    assert ledger_keys() == keys
    assert PaymentEvent.objects.count() == 2


def test_the_return_page_of_another_holders_file_is_not_found(psp):
    registration = validated_file()
    back = pay_on_hosted_page(Client(), checkout(registration).payment_url, "4242424242424242")
    other = validated_file(serial=85)
    browser = Client()
    browser.force_login(other.holder.user)

    assert browser.get(back).status_code == 404
    assert reloaded(registration).payment_state == PaymentState.PENDING
