"""Two confirmations of one intent at once, on real parallel connections: the row lock lets one
charge the card and the other find it already paid; one event only."""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import RequestFactory

from cpf.sandbox_psp import api, services
from cpf.sandbox_psp.enums import IntentStatus
from cpf.sandbox_psp.models import PaymentIntent, Refund, WebhookEvent
from tests.clock import NOW
from tests.ledger.support import run_in_parallel

from .support import SUCCEEDS, card, new_intent, paid_intent

pytestmark = pytest.mark.django_db(transaction=True, available_apps=["cpf.sandbox_psp"])


def test_two_confirmations_at_once_pay_once_and_record_one_event():
    intent = new_intent()

    results, errors = run_in_parallel(
        lambda: services.confirm_intent(intent_id=intent.public_id, card=card(SUCCEEDS), now=NOW)
    )

    assert [paid.status for paid in results] == [IntentStatus.SUCCEEDED]
    assert [type(error) for error in errors] == [services.UnexpectedState]
    assert PaymentIntent.objects.get(pk=intent.pk).status == IntentStatus.SUCCEEDED
    assert list(WebhookEvent.objects.values_list("type", flat=True)) == ["payment_intent.succeeded"]


def test_two_refunds_at_once_never_give_back_more_than_was_captured():
    intent = paid_intent(100_00)

    results, errors = run_in_parallel(
        lambda: services.create_refund(
            intent_id=intent.public_id, amount_cents=60_00, now=NOW + datetime.timedelta(minutes=1)
        )
    )

    assert len(results) == 1
    assert [getattr(error, "code", None) for error in errors] == ["amount_too_large"]
    assert PaymentIntent.objects.get(pk=intent.pk).amount_refunded_cents == 60_00
    assert Refund.objects.count() == 1


def test_the_same_idempotent_request_sent_twice_at_once_creates_one_intent(frozen_clock):
    def send() -> tuple[int, dict]:
        # The view itself, without the site's middleware (this test's database holds only the
        # sandbox provider's tables): authentication and idempotency are the view's own.
        request = RequestFactory().post(
            "/sandbox-psp/v1/payment_intents",
            data=json.dumps({"amount": 100}),
            content_type="application/json",
            headers={"Authorization": "Bearer sk_test_test_suite_only", "Idempotency-Key": "at-once"},
        )
        response = api.payment_intents(request)
        return response.status_code, json.loads(response.content)

    results, errors = run_in_parallel(send)

    assert errors == []
    assert [status for status, _ in results] == [200, 200]
    assert results[0][1] == results[1][1]
    assert PaymentIntent.objects.count() == 1
