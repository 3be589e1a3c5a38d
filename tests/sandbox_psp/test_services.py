"""The intents' life on Stripe's contract: each test card, 3-D Secure, cancel, refunds, and the
event each change records."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError

from cpf.sandbox_psp import services
from cpf.sandbox_psp.enums import IntentStatus, RefundStatus
from cpf.sandbox_psp.models import PaymentIntent, WebhookEvent
from tests.clock import NOW

from .support import (
    DECLINED,
    EXPIRED,
    INSUFFICIENT_FUNDS,
    SUCCEEDS,
    THREE_D_SECURE,
    WRONG_CVC,
    card,
    event_types,
    new_intent,
    paid_intent,
)

pytestmark = pytest.mark.django_db

LATER = NOW + datetime.timedelta(minutes=5)


def test_a_new_intent_awaits_its_card_with_public_ids_and_a_client_secret():
    intent = new_intent(150_00)

    assert intent.status == IntentStatus.REQUIRES_PAYMENT_METHOD
    assert intent.public_id.startswith("pi_") and len(intent.public_id) > 20
    assert intent.client_secret and intent.client_secret != intent.public_id
    assert (intent.amount_cents, intent.currency, intent.metadata) == (150_00, "eur", {"order": "42"})
    assert WebhookEvent.objects.count() == 0


@pytest.mark.parametrize("amount", [0, -100, 12.5, "100", True, None])
def test_an_amount_must_be_positive_whole_cents(amount):
    with pytest.raises(services.PspError) as refused:
        services.create_intent(amount_cents=amount, now=NOW)
    assert refused.value.code == "parameter_invalid_integer"


def test_only_euros_are_accepted():
    with pytest.raises(services.PspError) as refused:
        services.create_intent(amount_cents=100, currency="usd", now=NOW)
    assert refused.value.code == "parameter_invalid_currency"


def test_the_database_refuses_a_status_without_its_timestamp():
    intent = new_intent()
    PaymentIntent.objects.filter(pk=intent.pk).update(status=IntentStatus.REQUIRES_ACTION)
    with pytest.raises(IntegrityError):
        PaymentIntent.objects.filter(pk=intent.pk).update(status=IntentStatus.SUCCEEDED)


def test_the_succeeding_card_pays_and_records_the_succeeded_event():
    intent = new_intent()

    paid = services.confirm_intent(intent_id=intent.public_id, card=card(SUCCEEDS), now=LATER)

    assert (paid.status, paid.succeeded_at, paid.last_error_code) == (IntentStatus.SUCCEEDED, LATER, "")
    event = WebhookEvent.objects.get()
    assert event.public_id.startswith("evt_")
    assert event.payload["type"] == "payment_intent.succeeded"
    assert event.payload["id"] == event.public_id
    assert event.payload["data"]["object"]["status"] == "succeeded"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (DECLINED, "card_declined"),
        (INSUFFICIENT_FUNDS, "insufficient_funds"),
        (EXPIRED, "expired_card"),
        (WRONG_CVC, "incorrect_cvc"),
        ("4111111111111111", "incorrect_number"),
        ("4242424242424241", "incorrect_number"),
    ],
)
def test_a_declining_card_leaves_the_intent_awaiting_another_card(number, code):
    intent = new_intent()

    declined = services.confirm_intent(intent_id=intent.public_id, card=card(number), now=NOW)

    assert (declined.status, declined.last_error_code) == (IntentStatus.REQUIRES_PAYMENT_METHOD, code)
    assert event_types(intent) == ["payment_intent.payment_failed"]
    paid = services.confirm_intent(intent_id=intent.public_id, card=card(SUCCEEDS), now=LATER)
    assert (paid.status, paid.last_error_code) == (IntentStatus.SUCCEEDED, "")


def test_a_card_past_its_expiry_month_is_declined_whatever_its_number():
    intent = new_intent()

    declined = services.confirm_intent(
        intent_id=intent.public_id, card=card(SUCCEEDS, exp_month=10, exp_year=2026), now=NOW
    )

    assert declined.last_error_code == "expired_card"
    still_valid = services.confirm_intent(
        intent_id=intent.public_id, card=card(SUCCEEDS, exp_month=11, exp_year=2026), now=NOW
    )
    assert still_valid.status == IntentStatus.SUCCEEDED


def test_the_three_d_secure_card_asks_for_authentication_then_pays_when_approved():
    intent = new_intent()

    pending = services.confirm_intent(intent_id=intent.public_id, card=card(THREE_D_SECURE), now=NOW)
    assert (pending.status, pending.succeeded_at) == (IntentStatus.REQUIRES_ACTION, None)

    paid = services.complete_challenge(intent_id=intent.public_id, approved=True, now=LATER)

    assert (paid.status, paid.succeeded_at) == (IntentStatus.SUCCEEDED, LATER)
    assert event_types(intent) == ["payment_intent.requires_action", "payment_intent.succeeded"]


def test_a_refused_challenge_is_a_failed_attempt_and_another_card_may_follow():
    intent = new_intent()
    services.confirm_intent(intent_id=intent.public_id, card=card(THREE_D_SECURE), now=NOW)

    failed = services.complete_challenge(intent_id=intent.public_id, approved=False, now=LATER)

    assert (failed.status, failed.last_error_code) == (
        IntentStatus.REQUIRES_PAYMENT_METHOD,
        "payment_intent_authentication_failure",
    )
    assert event_types(intent) == ["payment_intent.requires_action", "payment_intent.payment_failed"]
    with pytest.raises(services.UnexpectedState):
        services.complete_challenge(intent_id=intent.public_id, approved=True, now=LATER)


def test_a_paid_intent_cannot_be_confirmed_again():
    intent = paid_intent()

    with pytest.raises(services.UnexpectedState) as refused:
        services.confirm_intent(intent_id=intent.public_id, card=card(SUCCEEDS), now=LATER)

    assert refused.value.code == "payment_intent_unexpected_state"
    assert event_types(intent) == ["payment_intent.succeeded"]


def test_an_unknown_intent_is_not_found():
    with pytest.raises(services.NotFound):
        services.confirm_intent(intent_id="pi_missing", card=card(SUCCEEDS), now=NOW)


@pytest.mark.parametrize("before", ["new", "declined", "awaiting 3-D Secure"])
def test_an_intent_not_yet_paid_can_be_canceled_once(before):
    intent = new_intent()
    if before == "declined":
        services.confirm_intent(intent_id=intent.public_id, card=card(DECLINED), now=NOW)
    elif before == "awaiting 3-D Secure":
        services.confirm_intent(intent_id=intent.public_id, card=card(THREE_D_SECURE), now=NOW)

    canceled = services.cancel_intent(intent_id=intent.public_id, now=LATER)
    again = services.cancel_intent(intent_id=intent.public_id, now=LATER + datetime.timedelta(hours=1))

    assert (canceled.status, canceled.canceled_at) == (IntentStatus.CANCELED, LATER)
    assert again.canceled_at == LATER
    assert event_types(intent).count("payment_intent.canceled") == 1
    with pytest.raises(services.UnexpectedState):
        services.confirm_intent(intent_id=intent.public_id, card=card(SUCCEEDS), now=LATER)


def test_a_paid_intent_cannot_be_canceled():
    intent = paid_intent()
    with pytest.raises(services.UnexpectedState):
        services.cancel_intent(intent_id=intent.public_id, now=LATER)


def test_partial_refunds_up_to_the_amount_captured_and_no_further():
    intent = paid_intent(150_00)

    first = services.create_refund(intent_id=intent.public_id, amount_cents=100_00, now=LATER)
    with pytest.raises(services.PspError) as too_much:
        services.create_refund(intent_id=intent.public_id, amount_cents=50_01, now=LATER)
    rest = services.create_refund(intent_id=intent.public_id, amount_cents=50_00, now=LATER)

    assert too_much.value.code == "amount_too_large"
    assert first.public_id.startswith("re_")
    assert [(r.amount_cents, r.status, r.succeeded_at) for r in (first, rest)] == [
        (100_00, RefundStatus.SUCCEEDED, LATER),
        (50_00, RefundStatus.SUCCEEDED, LATER),
    ]
    assert PaymentIntent.objects.get(pk=intent.pk).amount_refunded_cents == 150_00
    with pytest.raises(services.PspError) as nothing_left:
        services.create_refund(intent_id=intent.public_id, amount_cents=1, now=LATER)
    assert nothing_left.value.code == "charge_already_refunded"
    assert event_types(intent) == ["payment_intent.succeeded", "charge.refunded", "charge.refunded"]


def test_a_refund_without_amount_gives_back_all_that_remains():
    intent = paid_intent(150_00)
    services.create_refund(intent_id=intent.public_id, amount_cents=20_00, now=LATER)

    rest = services.create_refund(intent_id=intent.public_id, now=LATER)

    assert rest.amount_cents == 130_00
    event = WebhookEvent.objects.filter(type="charge.refunded").order_by("pk").last()
    assert event is not None
    assert event.payload["data"]["object"]["amount_refunded"] == 150_00
    assert event.payload["data"]["object"]["refund"]["amount"] == 130_00


@pytest.mark.parametrize("amount", [0, -1, 1.5])
def test_a_refund_amount_must_be_positive_whole_cents(amount):
    intent = paid_intent()
    with pytest.raises(services.PspError):
        services.create_refund(intent_id=intent.public_id, amount_cents=amount, now=LATER)


def test_only_a_paid_intent_is_refunded():
    intent = new_intent()
    with pytest.raises(services.PspError) as refused:
        services.create_refund(intent_id=intent.public_id, amount_cents=100, now=LATER)
    assert refused.value.code == "charge_not_captured"


def test_idempotent_answers_are_forgotten_after_a_day():
    from cpf.sandbox_psp.models import IdempotencyRecord

    for key, age in (
        ("old", datetime.timedelta(hours=24, seconds=1)),
        ("recent", datetime.timedelta(hours=23)),
    ):
        IdempotencyRecord.objects.create(
            key=key, fingerprint="f", status_code=200, body={}, created_at=NOW - age
        )

    assert services.prune_idempotency_records(now=NOW) == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["recent"]
