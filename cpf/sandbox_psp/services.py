"""The sandbox provider's operations on payment intents and refunds.

Each takes a row lock on the intent, changes its status as Stripe's contract says
(booking-reference.md §3), and records the webhook event of the change in the same transaction,
with one delivery job per active endpoint: the event exists if and only if the change does. A
repeated request finds the change already made and does nothing twice.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction

from . import cards
from .enums import EventType, IntentStatus, RefundStatus
from .models import IdempotencyRecord, PaymentIntent, Refund, WebhookDelivery, WebhookEndpoint, WebhookEvent
from .representations import intent_as_dict, refund_as_dict, unix
from .tasks import deliver_webhook

CURRENCY = "eur"
# Idempotency keys are kept a day, as Stripe keeps them: a retry comes within minutes, and a
# key reused after that is a new request.
IDEMPOTENCY_KEY_LIFETIME = datetime.timedelta(hours=24)
FINAL_STATUSES = {IntentStatus.SUCCEEDED, IntentStatus.CANCELED}


class PspError(Exception):
    """A request the provider refuses, with Stripe's error type and code."""

    type = "invalid_request_error"
    status_code = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class NotFound(PspError):
    status_code = 404


class UnexpectedState(PspError):
    """The intent's status does not allow the operation (Stripe's payment_intent_unexpected_state)."""

    def __init__(self, intent: PaymentIntent, action: str) -> None:
        super().__init__(
            "payment_intent_unexpected_state",
            f"Cannot {action} this PaymentIntent because it has a status of {intent.status}.",
        )


def create_intent(
    *,
    amount_cents: int,
    currency: str = CURRENCY,
    metadata: dict[str, Any] | None = None,
    now: datetime.datetime,
) -> PaymentIntent:
    """A new intent awaiting its card."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise PspError("parameter_invalid_integer", "amount must be a positive whole number of cents.")
    if currency != CURRENCY:
        raise PspError("parameter_invalid_currency", "Only eur is supported.")
    if metadata is not None and not isinstance(metadata, dict):
        raise PspError("parameter_invalid_metadata", "metadata must be an object.")
    with transaction.atomic():
        return PaymentIntent.objects.create(
            amount_cents=amount_cents,
            currency=currency,
            metadata=metadata or {},
            created_at=now,
            updated_at=now,
        )


def locked_intent(public_id: str) -> PaymentIntent:
    try:
        return PaymentIntent.objects.select_for_update().get(public_id=public_id)
    except PaymentIntent.DoesNotExist:
        raise NotFound("resource_missing", f"No such payment_intent: {public_id}") from None


def confirm_intent(*, intent_id: str, card: cards.Card, now: datetime.datetime) -> PaymentIntent:
    """Charge ``card`` for the intent: succeeded, 3-D Secure asked (requires_action), or declined
    (back to requires_payment_method with the decline code). Only an intent awaiting its card
    can be confirmed: a second confirmation of a paid one is refused, never charged twice."""
    with transaction.atomic():
        intent = locked_intent(intent_id)
        if intent.status != IntentStatus.REQUIRES_PAYMENT_METHOD:
            raise UnexpectedState(intent, "confirm")
        verdict = cards.evaluate(card, today=now.date())
        if verdict.outcome is cards.Outcome.SUCCEED:
            succeed(intent, now=now)
        elif verdict.outcome is cards.Outcome.REQUIRE_3DS:
            intent.status = IntentStatus.REQUIRES_ACTION
            intent.last_error_code = ""
            save_with_event(intent, EventType.INTENT_REQUIRES_ACTION, now=now)
        else:
            fail(intent, code=verdict.code, now=now)
        return intent


def complete_challenge(*, intent_id: str, approved: bool, now: datetime.datetime) -> PaymentIntent:
    """The payer's answer to the 3-D Secure challenge: approved pays, refused is a failed attempt
    (Stripe's payment_intent_authentication_failure), which a new card may follow."""
    with transaction.atomic():
        intent = locked_intent(intent_id)
        if intent.status != IntentStatus.REQUIRES_ACTION:
            raise UnexpectedState(intent, "authenticate")
        if approved:
            succeed(intent, now=now)
        else:
            fail(intent, code="payment_intent_authentication_failure", now=now)
        return intent


def cancel_intent(*, intent_id: str, now: datetime.datetime) -> PaymentIntent:
    """Abandon an intent not yet paid; cancelling it again changes nothing."""
    with transaction.atomic():
        intent = locked_intent(intent_id)
        if intent.status == IntentStatus.CANCELED:
            return intent
        if intent.status == IntentStatus.SUCCEEDED:
            raise UnexpectedState(intent, "cancel")
        intent.status = IntentStatus.CANCELED
        intent.canceled_at = now
        save_with_event(intent, EventType.INTENT_CANCELED, now=now)
        return intent


def create_refund(
    *,
    intent_id: str,
    amount_cents: int | None = None,
    metadata: dict[str, Any] | None = None,
    now: datetime.datetime,
) -> Refund:
    """Give back ``amount_cents`` of a paid intent (all that remains when None), never more than
    was captured minus what was already refunded."""
    if amount_cents is not None and (
        isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0
    ):
        raise PspError("parameter_invalid_integer", "amount must be a positive whole number of cents.")
    with transaction.atomic():
        intent = locked_intent(intent_id)
        if intent.status != IntentStatus.SUCCEEDED:
            raise PspError("charge_not_captured", "Only a succeeded PaymentIntent can be refunded.")
        remaining = intent.refundable_cents
        if remaining == 0:
            raise PspError("charge_already_refunded", "This PaymentIntent has already been refunded in full.")
        amount = remaining if amount_cents is None else amount_cents
        if amount > remaining:
            raise PspError(
                "amount_too_large",
                f"Refund amount ({amount}) is greater than the refundable amount ({remaining}).",
            )
        refund = Refund.objects.create(
            intent=intent,
            amount_cents=amount,
            status=RefundStatus.SUCCEEDED,
            metadata=metadata or {},
            created_at=now,
            succeeded_at=now,
        )
        intent.amount_refunded_cents += amount
        intent.updated_at = now
        intent.save(update_fields=["amount_refunded_cents", "updated_at"])
        emit(EventType.CHARGE_REFUNDED, {**intent_as_dict(intent), "refund": refund_as_dict(refund)}, now=now)
        return refund


def succeed(intent: PaymentIntent, *, now: datetime.datetime) -> None:
    intent.status = IntentStatus.SUCCEEDED
    intent.succeeded_at = now
    intent.last_error_code = ""
    save_with_event(intent, EventType.INTENT_SUCCEEDED, now=now)


def fail(intent: PaymentIntent, *, code: str, now: datetime.datetime) -> None:
    intent.status = IntentStatus.REQUIRES_PAYMENT_METHOD
    intent.last_error_code = code
    save_with_event(intent, EventType.INTENT_PAYMENT_FAILED, now=now)


def save_with_event(intent: PaymentIntent, event_type: EventType, *, now: datetime.datetime) -> None:
    intent.updated_at = now
    intent.save()
    emit(event_type, intent_as_dict(intent), now=now)


def emit(event_type: EventType, data: dict[str, Any], *, now: datetime.datetime) -> WebhookEvent:
    """Record the event and defer its delivery to each active endpoint. The jobs are written by
    procrastinate's Django connector in this same transaction: no event without its change, no
    change without its deliveries."""
    event = WebhookEvent(type=event_type, created_at=now, payload={})
    event.payload = {
        "id": event.public_id,
        "object": "event",
        "type": event_type.value,
        "created": unix(now),
        "data": {"object": data},
    }
    event.save()
    for endpoint in WebhookEndpoint.objects.filter(is_active=True).order_by("pk"):
        delivery = WebhookDelivery.objects.create(event=event, endpoint=endpoint)
        deliver_webhook.defer(delivery_id=delivery.pk)
    return event


def prune_idempotency_records(*, now: datetime.datetime) -> int:
    """Forget the answers stored more than a day ago; returns how many were removed."""
    with transaction.atomic():
        deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=now - IDEMPOTENCY_KEY_LIFETIME).delete()
        return deleted
