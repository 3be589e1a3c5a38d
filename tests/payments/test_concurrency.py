"""Many deliveries of one payment's notifications at once, on real parallel connections: one
capture, one acceptance, every delivery answered."""

from __future__ import annotations

from collections import Counter

import pytest
from django.test import Client

from cpf.bookings.enums import PaymentState, RegistrationStatus
from cpf.bookings.models import Registration
from cpf.ledger.enums import TransactionKind
from cpf.ledger.models import Transaction
from cpf.ledger.reconcile import reconcile
from cpf.payments.models import PaymentEvent, WebhookReceipt
from cpf.sandbox_psp import services as psp
from cpf.sandbox_psp.models import PaymentIntent, WebhookDelivery
from tests.accounts.support import run_at_once
from tests.clock import NOW
from tests.sandbox_psp.support import card

from .support import (
    SUCCEEDS,
    THREE_D_SECURE,
    checkout,
    pay_on_hosted_page,
    post_delivery,
    register_webhook_endpoint,
    validated_file,
)

APPS = [
    "cpf.accounts",
    "cpf.holders",
    "cpf.providers",
    "cpf.catalogue",
    "cpf.search",
    "cpf.rights",
    "cpf.ledger",
    "cpf.bookings",
    "cpf.payments",
    "cpf.sandbox_psp",
    "procrastinate.contrib.django",
]
pytestmark = [
    pytest.mark.django_db(transaction=True, available_apps=APPS),
    pytest.mark.usefixtures("frozen_clock"),
]
DELIVERIES = 24


def test_the_same_event_delivered_24_times_at_once_captures_once():
    register_webhook_endpoint()
    registration = validated_file()
    pay_on_hosted_page(Client(), checkout(registration).payment_url, SUCCEEDS)
    delivery = WebhookDelivery.objects.get(event__type="payment_intent.succeeded")

    answers = run_at_once([lambda: post_delivery(Client(), delivery) for _ in range(DELIVERIES)])

    assert [a for a in answers if isinstance(a, BaseException)] == []
    assert Counter((status, body["duplicate"]) for status, body in answers) == {
        (200, False): 1,
        (200, True): DELIVERIES - 1,
    }
    file = Registration.objects.get(pk=registration.pk)
    assert (file.status, file.payment_state) == (RegistrationStatus.ACCEPTED, PaymentState.PAID)
    assert Transaction.objects.filter(kind=TransactionKind.CARD_CAPTURE).count() == 1
    assert PaymentEvent.objects.count() == 2
    assert WebhookReceipt.objects.get().processed_at is not None
    assert reconcile().ok


def test_two_events_of_one_payment_delivered_together_many_times_capture_once():
    register_webhook_endpoint()
    registration = validated_file()
    checkout(registration)
    # The payer's card and 3-D Secure answer, as the hosted pages record them.
    intent_id = PaymentIntent.objects.get().public_id
    psp.confirm_intent(intent_id=intent_id, card=card(THREE_D_SECURE), now=NOW)
    psp.complete_challenge(intent_id=intent_id, approved=True, now=NOW)
    deliveries = list(WebhookDelivery.objects.order_by("pk"))
    assert [d.event.type for d in deliveries] == [
        "payment_intent.requires_action",
        "payment_intent.succeeded",
    ]

    answers = run_at_once([lambda d=deliveries[i % 2]: post_delivery(Client(), d) for i in range(DELIVERIES)])

    assert [a for a in answers if isinstance(a, BaseException)] == []
    assert {status for status, _ in answers} == {200}
    assert Registration.objects.get(pk=registration.pk).status == RegistrationStatus.ACCEPTED
    assert Transaction.objects.filter(kind=TransactionKind.CARD_CAPTURE).count() == 1
    assert Transaction.objects.filter(kind=TransactionKind.RESERVATION_RELEASE).count() == 0
    assert PaymentEvent.objects.count() == 2
    assert reconcile().ok
