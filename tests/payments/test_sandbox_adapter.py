"""The adapter of the sandbox provider against the sandbox itself, through its HTTP API (in this
process, through Django's WSGI handler): what the product asks and what it reads back."""

from __future__ import annotations

import pytest
from django.test import Client

from cpf.payments.enums import RemoteStatus
from cpf.payments.providers import ProviderError
from cpf.payments.sandbox import SandboxProvider, UrllibTransport
from cpf.sandbox_psp.models import IdempotencyRecord, PaymentIntent

from .support import (
    DECLINED,
    SUCCEEDS,
    THREE_D_SECURE,
    local_path,
    pay_on_hosted_page,
    returned_query,
    sandbox,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

RETURN_URL = "http://testserver/paiements/retour/7/"


def test_a_payment_is_created_once_per_idempotency_key():
    provider = sandbox()

    first = provider.create_payment(
        amount_cents=123_45, idempotency_key="registration:7:attempt:1", metadata={"registration": "7"}
    )
    again = provider.create_payment(
        amount_cents=123_45, idempotency_key="registration:7:attempt:1", metadata={"registration": "7"}
    )

    assert first == again
    assert (first.status, first.amount_cents, first.received_cents, first.failure_code) == (
        RemoteStatus.AWAITING_CARD,
        123_45,
        0,
        "",
    )
    assert dict(first.metadata) == {"registration": "7"}
    assert PaymentIntent.objects.count() == 1
    assert IdempotencyRecord.objects.get().key == "registration:7:attempt:1"


def test_the_same_key_with_another_amount_is_refused_by_the_provider():
    provider = sandbox()
    provider.create_payment(amount_cents=100, idempotency_key="k", metadata={})

    with pytest.raises(ProviderError) as refused:
        provider.create_payment(amount_cents=200, idempotency_key="k", metadata={})

    assert (refused.value.code, refused.value.status, refused.value.retryable) == (
        "idempotency_key_in_use",
        400,
        False,
    )
    assert PaymentIntent.objects.count() == 1


def test_the_hosted_page_takes_a_3ds_card_and_the_payment_then_reads_succeeded():
    provider = sandbox()
    payment = provider.create_payment(amount_cents=250_00, idempotency_key="k3ds", metadata={})
    url = provider.hosted_page_url(payment, return_url=RETURN_URL)
    payer = Client()

    assert url.startswith(f"http://testserver/sandbox-psp/pay/{payment.id}/?client_secret=")
    assert payer.get(local_path(url)).status_code == 200
    back = pay_on_hosted_page(payer, url, THREE_D_SECURE)

    assert back.startswith(RETURN_URL)
    assert returned_query(back) == {"payment_intent": payment.id, "redirect_status": "succeeded"}
    paid = provider.retrieve(payment.id)
    assert (paid.status, paid.received_cents, paid.failed) == (RemoteStatus.SUCCEEDED, 250_00, False)


def test_a_declined_card_reads_as_a_failed_attempt_awaiting_another_card():
    provider = sandbox()
    payment = provider.create_payment(amount_cents=80_00, idempotency_key="kd", metadata={})

    assert (
        pay_on_hosted_page(Client(), provider.hosted_page_url(payment, return_url=RETURN_URL), DECLINED) == ""
    )

    declined = provider.retrieve(payment.id)
    assert (declined.status, declined.failure_code, declined.failed) == (
        RemoteStatus.AWAITING_CARD,
        "card_declined",
        True,
    )


def test_cancel_is_idempotent_and_a_paid_payment_cannot_be_cancelled():
    provider = sandbox()
    pending = provider.create_payment(amount_cents=10_00, idempotency_key="kc", metadata={})
    paid = provider.create_payment(amount_cents=10_00, idempotency_key="kp", metadata={})
    pay_on_hosted_page(Client(), provider.hosted_page_url(paid, return_url=RETURN_URL), SUCCEEDS)

    canceled = provider.cancel(pending.id, idempotency_key="kc:cancel")
    again = provider.cancel(pending.id, idempotency_key="kc:cancel")
    with pytest.raises(ProviderError) as refused:
        provider.cancel(paid.id, idempotency_key="kp:cancel")

    assert canceled.status == again.status == RemoteStatus.CANCELED
    assert refused.value.code == "payment_intent_unexpected_state"
    assert provider.retrieve(paid.id).status == RemoteStatus.SUCCEEDED


def test_refunds_in_part_once_per_key_and_never_beyond_the_capture():
    provider = sandbox()
    paid = provider.create_payment(amount_cents=100_00, idempotency_key="kr", metadata={})
    pay_on_hosted_page(Client(), provider.hosted_page_url(paid, return_url=RETURN_URL), SUCCEEDS)

    first = provider.refund(paid.id, amount_cents=60_00, idempotency_key="due:1", metadata={"reason": "x"})
    replay = provider.refund(paid.id, amount_cents=60_00, idempotency_key="due:1", metadata={"reason": "x"})
    with pytest.raises(ProviderError) as refused:
        provider.refund(paid.id, amount_cents=60_00, idempotency_key="due:2", metadata={})

    assert first == replay
    assert (first.payment_id, first.amount_cents, first.succeeded) == (paid.id, 60_00, True)
    assert refused.value.code == "amount_too_large"
    assert provider.retrieve(paid.id).refunded_cents == 60_00


def test_an_unknown_payment_and_a_wrong_key_are_refusals_not_retried():
    provider = sandbox()
    impostor = SandboxProvider(
        base_url=provider.base_url, secret_key="sk_wrong", webhook_secret="", transport=provider.transport
    )

    with pytest.raises(ProviderError) as missing:
        provider.retrieve("pi_unknown")
    with pytest.raises(ProviderError) as unauthorised:
        impostor.retrieve("pi_unknown")

    assert (missing.value.code, missing.value.status, missing.value.retryable) == (
        "resource_missing",
        404,
        False,
    )
    assert (unauthorised.value.code, unauthorised.value.status) == ("invalid_api_key", 401)


def test_a_provider_that_does_not_answer_is_a_retryable_error():
    provider = SandboxProvider(
        base_url="http://127.0.0.1:9/sandbox-psp/",
        secret_key="sk",
        webhook_secret="",
        transport=UrllibTransport(timeout=2),
    )

    with pytest.raises(ProviderError) as unreachable:
        provider.retrieve("pi_x")

    assert (unreachable.value.code, unreachable.value.retryable) == ("unreachable", True)
