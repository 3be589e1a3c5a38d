"""Card payments of registration files, apart from the ledger (booking-reference.md §3).

A ``Payment`` is one attempt at collecting the card part of a file's acceptance (rule 10: what
the rights and grants do not cover, plus the flat participation of rule 11). Its authorised,
captured and refunded amounts are derived from its ``PaymentEvent`` log, append-only, one event
per fact reported by the provider (unique: a fact learnt twice, from a webhook and from a
re-read, is recorded once). The ledger receives its own postings, keyed by the provider's
references (``psp:<intent id>``, ``psp:<refund id>``).

``Refund`` is one refund asked of the provider, keyed by the idempotency key of what decided it.
``WebhookReceipt`` is a notification received: its unique event id drops duplicate deliveries.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q, Sum

from .enums import OPEN_PAYMENT_STATUSES, PaymentEventKind, PaymentStatus, RefundStatus


class PaymentQuerySet(models.QuerySet["Payment"]):
    def open(self) -> PaymentQuerySet:
        return self.filter(status__in=OPEN_PAYMENT_STATUSES)

    def for_registration(self, registration_id: int) -> PaymentQuerySet:
        return self.filter(registration_id=registration_id)


class Payment(models.Model):
    """One attempt at paying the card part of a file (rules 10 and 11)."""

    registration = models.ForeignKey(
        "bookings.Registration", on_delete=models.PROTECT, related_name="payments", verbose_name="dossier"
    )
    attempt = models.PositiveIntegerField("tentative")
    provider = models.CharField("prestataire", max_length=40)
    # registration:<id>:attempt:<n>: the provider creates one payment per key, however often asked.
    idempotency_key = models.CharField("clé d'idempotence", max_length=255, unique=True)
    psp_id = models.CharField("référence du prestataire", max_length=64, unique=True, null=True, blank=True)
    amount_cents = models.BigIntegerField("montant (centimes)")
    currency = models.CharField("devise", max_length=3, default="eur")
    status = models.CharField("statut", max_length=16, choices=PaymentStatus.choices)
    hosted_page_url = models.URLField("page de paiement", max_length=1000, blank=True)
    # Decline code of the attempt that failed (insufficient_funds…), "" otherwise.
    failure_code = models.CharField("motif du refus", max_length=64, blank=True)
    # Derived from the events (``recompute_amounts``), kept on the row for reading and checks.
    authorised_cents = models.BigIntegerField("autorisé (centimes)", default=0)
    captured_cents = models.BigIntegerField("encaissé (centimes)", default=0)
    refunded_cents = models.BigIntegerField("remboursé (centimes)", default=0)
    created_at = models.DateTimeField("créé le")
    updated_at = models.DateTimeField("modifié le")
    # When the provider was last asked where the payment stands (the recovery's pace).
    checked_at = models.DateTimeField("vérifié le")

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = "paiement par carte"
        verbose_name_plural = "paiements par carte"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["registration", "attempt"], name="payment_one_per_attempt"),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(condition=Q(currency="eur"), name="payment_currency_eur"),
            models.CheckConstraint(condition=Q(status__in=PaymentStatus.values), name="payment_status_known"),
            # Known to the provider in every status but the first.
            models.CheckConstraint(
                condition=Q(status=PaymentStatus.CREATED) | Q(psp_id__isnull=False),
                name="payment_psp_id_once_sent",
            ),
            models.CheckConstraint(
                condition=Q(captured_cents__gte=0)
                & Q(captured_cents__lte=F("authorised_cents"))
                & Q(authorised_cents__lte=F("amount_cents")),
                name="payment_captured_within_authorised",
            ),
            models.CheckConstraint(
                condition=Q(refunded_cents__gte=0) & Q(refunded_cents__lte=F("captured_cents")),
                name="payment_refunded_within_captured",
            ),
            models.CheckConstraint(
                condition=~Q(status=PaymentStatus.SUCCEEDED) | Q(captured_cents__gt=0),
                name="payment_succeeded_is_captured",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "checked_at"],
                name="payment_open_idx",
                condition=Q(status__in=OPEN_PAYMENT_STATUSES),
            ),
        ]

    def __str__(self) -> str:
        return f"Paiement {self.psp_id or self.idempotency_key} ({self.get_status_display()})"

    @property
    def refundable_cents(self) -> int:
        return self.captured_cents - self.refunded_cents

    def recompute_amounts(self) -> None:
        """Set the amounts from the event log (the caller holds the row's lock and saves)."""
        sums = dict(
            self.events.values_list("kind").annotate(total=Sum("amount_cents")).values_list("kind", "total")
        )
        self.authorised_cents = sums.get(PaymentEventKind.AUTHORISED, 0)
        self.captured_cents = sums.get(PaymentEventKind.CAPTURED, 0)
        self.refunded_cents = sums.get(PaymentEventKind.REFUNDED, 0)


class PaymentEvent(models.Model):
    """A fact about a payment, as the provider reported it (append-only).

    ``psp_reference`` is the provider's identifier of the fact: the intent for its
    authorisation, capture, failure or cancellation, the refund for a refund. One event per kind
    and reference: the same fact learnt from a webhook, from the holder's return and from the
    recovery's re-read is recorded once."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("nature", max_length=16, choices=PaymentEventKind.choices)
    psp_reference = models.CharField("référence du prestataire", max_length=64)
    amount_cents = models.BigIntegerField("montant (centimes)", default=0)
    # The notification that made us re-read the payment, when one did ("" for a re-read of our own).
    psp_event_id = models.CharField("événement du prestataire", max_length=64, blank=True)
    details = models.JSONField("détails", default=dict, blank=True)
    at = models.DateTimeField("le")

    class Meta:
        verbose_name = "événement de paiement"
        verbose_name_plural = "événements de paiement"
        ordering = ["payment", "at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "psp_reference"], name="payment_event_once"),
            models.CheckConstraint(
                condition=Q(kind__in=PaymentEventKind.values), name="payment_event_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(amount_cents__gte=0), name="payment_event_amount_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.psp_reference}"


class Refund(models.Model):
    """Card money given back through the provider (rules 13, 19 and 22 decide how much)."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_cents = models.BigIntegerField("montant (centimes)")
    reason = models.CharField("motif", max_length=200)
    # The key of what decided the refund: the provider refunds once per key.
    idempotency_key = models.CharField("clé d'idempotence", max_length=255, unique=True)
    status = models.CharField("statut", max_length=16, choices=RefundStatus.choices)
    psp_id = models.CharField("référence du prestataire", max_length=64, unique=True, null=True, blank=True)
    failure_code = models.CharField("motif du refus", max_length=64, blank=True)
    created_at = models.DateTimeField("demandé le")
    succeeded_at = models.DateTimeField("remboursé le", null=True, blank=True)

    class Meta:
        verbose_name = "remboursement par carte"
        verbose_name_plural = "remboursements par carte"
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(condition=Q(status__in=RefundStatus.values), name="refund_status_known"),
            models.CheckConstraint(
                condition=Q(status=RefundStatus.SUCCEEDED, succeeded_at__isnull=False, psp_id__isnull=False)
                | (~Q(status=RefundStatus.SUCCEEDED) & Q(succeeded_at__isnull=True)),
                name="refund_succeeded_at_iff_succeeded",
            ),
        ]

    def __str__(self) -> str:
        return f"Remboursement {self.psp_id or self.idempotency_key}"


class WebhookReceipt(models.Model):
    """A notification received from the provider, once per event id: a second delivery of the
    same event (the provider delivers at least once) is dropped."""

    provider = models.CharField("prestataire", max_length=40)
    event_id = models.CharField("événement", max_length=64)
    type = models.CharField("type", max_length=64)
    psp_payment_id = models.CharField("paiement", max_length=64)
    received_at = models.DateTimeField("reçu le")
    processed_at = models.DateTimeField("traité le", null=True, blank=True)

    class Meta:
        verbose_name = "notification reçue"
        verbose_name_plural = "notifications reçues"
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="webhook_receipt_once"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"
