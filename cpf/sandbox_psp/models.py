"""The sandbox provider's own records: payment intents, refunds, idempotency records and webhooks.

Identifiers are public strings with Stripe's prefixes (``pi_``, ``re_``, ``evt_``), random, never
the database's sequence: the product stores them and must not be able to guess another's.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import F, Q

from .enums import EventType, IntentStatus, RefundStatus


def public_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(18).replace('-', 'a').replace('_', 'b')}"


def new_intent_id() -> str:
    return public_id("pi")


def new_refund_id() -> str:
    return public_id("re")


def new_event_id() -> str:
    return public_id("evt")


def new_client_secret() -> str:
    return secrets.token_urlsafe(24)


class PaymentIntent(models.Model):
    """One payment the merchant intends to collect, and where it stands."""

    public_id = models.CharField(max_length=40, unique=True, default=new_intent_id, editable=False)
    amount_cents = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="eur")
    status = models.CharField(
        max_length=32, choices=IntentStatus.choices, default=IntentStatus.REQUIRES_PAYMENT_METHOD
    )
    # Handed to the payer's browser (the hosted page's link), never the API's secret key.
    client_secret = models.CharField(max_length=64, default=new_client_secret, editable=False)
    metadata = models.JSONField(default=dict, blank=True)
    last_error_code = models.CharField(max_length=64, blank=True)
    # Sum of the refunds that succeeded: never more than the amount captured.
    amount_refunded_cents = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    succeeded_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "intention de paiement"
        verbose_name_plural = "intentions de paiement"
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="psp_intent_amount_positive"),
            models.CheckConstraint(condition=Q(currency="eur"), name="psp_intent_currency_eur"),
            models.CheckConstraint(
                condition=Q(status__in=IntentStatus.values), name="psp_intent_status_known"
            ),
            # A timestamp exactly when its status was reached, never otherwise.
            models.CheckConstraint(
                condition=Q(status=IntentStatus.SUCCEEDED, succeeded_at__isnull=False)
                | (~Q(status=IntentStatus.SUCCEEDED) & Q(succeeded_at__isnull=True)),
                name="psp_intent_succeeded_at_iff_succeeded",
            ),
            models.CheckConstraint(
                condition=Q(status=IntentStatus.CANCELED, canceled_at__isnull=False)
                | (~Q(status=IntentStatus.CANCELED) & Q(canceled_at__isnull=True)),
                name="psp_intent_canceled_at_iff_canceled",
            ),
            # Only a captured payment is refunded, and never beyond what was captured.
            models.CheckConstraint(
                condition=Q(amount_refunded_cents=0)
                | Q(
                    status=IntentStatus.SUCCEEDED,
                    amount_refunded_cents__gt=0,
                    amount_refunded_cents__lte=F("amount_cents"),
                ),
                name="psp_intent_refunded_within_captured",
            ),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def refundable_cents(self) -> int:
        if self.status != IntentStatus.SUCCEEDED:
            return 0
        return self.amount_cents - self.amount_refunded_cents


class Refund(models.Model):
    """Money given back on a captured payment, whole or in part."""

    public_id = models.CharField(max_length=40, unique=True, default=new_refund_id, editable=False)
    intent = models.ForeignKey(PaymentIntent, on_delete=models.PROTECT, related_name="refunds")
    amount_cents = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=RefundStatus.choices, default=RefundStatus.PENDING)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "remboursement"
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="psp_refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=RefundStatus.values), name="psp_refund_status_known"
            ),
            models.CheckConstraint(
                condition=Q(status=RefundStatus.SUCCEEDED, succeeded_at__isnull=False)
                | (~Q(status=RefundStatus.SUCCEEDED) & Q(succeeded_at__isnull=True)),
                name="psp_refund_succeeded_at_iff_succeeded",
            ),
        ]

    def __str__(self) -> str:
        return self.public_id


class IdempotencyRecord(models.Model):
    """The first answer to a request sent with an ``Idempotency-Key``, replayed to its repeats."""

    key = models.CharField(max_length=255, unique=True)
    # SHA-256 of method, path and body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "clé d'idempotence"
        verbose_name_plural = "clés d'idempotence"

    def __str__(self) -> str:
        return self.key


class WebhookEndpoint(models.Model):
    """Where the merchant wants its events, and the secret they are signed with."""

    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=128)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = "point de réception des webhooks"
        verbose_name_plural = "points de réception des webhooks"

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    """Something that happened to an intent or a refund, sent to each active endpoint."""

    public_id = models.CharField(max_length=40, unique=True, default=new_event_id, editable=False)
    type = models.CharField(max_length=64, choices=EventType.choices)
    payload = models.JSONField()
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "événement"
        constraints = [
            models.CheckConstraint(condition=Q(type__in=EventType.values), name="psp_event_type_known"),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.type}"


class WebhookDelivery(models.Model):
    """One event owed to one endpoint: delivered at least once, retried until it is."""

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "envoi de webhook"
        verbose_name_plural = "envois de webhooks"
        constraints = [
            models.UniqueConstraint(fields=["event", "endpoint"], name="psp_delivery_once_per_endpoint"),
            models.CheckConstraint(
                condition=Q(delivered_at__isnull=True) | Q(attempts__gt=0),
                name="psp_delivery_delivered_after_an_attempt",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.endpoint_id}"
