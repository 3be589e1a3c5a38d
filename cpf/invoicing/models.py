"""A provider's invoice for a validated service done (rules 22 and 23).

The provider invoices what the file owes it (``Registration.provider_due_cents``, computed from
the completion tiers when the service done is validated); the operator pays validated invoices
in its payment runs. Amounts are in cents, VAT included (``amount_cents``, what is paid); the
VAT rate is one of French law's, in basis points, and the VAT part is derived from it once, at
issue. Each state has the time it was entered, coupled to it by ``CHECK`` constraints; every
transition is logged (``InvoiceTransition``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from cpf.core.state_machine import TransitionLog

from .enums import InvoiceStatus, VatRate

I = InvoiceStatus  # noqa: E741


class InvoiceQuerySet(models.QuerySet["Invoice"]):
    def payable(self) -> InvoiceQuerySet:
        """Validated and not yet paid: what the next payment run pays (rule 23)."""
        return self.filter(status=I.VALIDATED)

    def of_provider(self, provider_id: int) -> InvoiceQuerySet:
        return self.filter(provider_id=provider_id)

    def live(self) -> InvoiceQuerySet:
        """Every invoice that counts against what a file owes: all but the rejected."""
        return self.exclude(status=I.REJECTED)


class Invoice(models.Model):
    """The provider's invoice for one file whose service done is validated (rule 23)."""

    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="invoices")
    registration = models.ForeignKey(
        "bookings.Registration", on_delete=models.PROTECT, related_name="invoices"
    )
    number = models.CharField("numéro de facture", max_length=40)
    issued_on = models.DateField("date de la facture")
    amount_cents = models.BigIntegerField("montant TTC (centimes)")
    vat_rate = models.PositiveSmallIntegerField("taux de TVA (points de base)", choices=VatRate.choices)
    vat_cents = models.BigIntegerField("dont TVA (centimes)")
    status = models.CharField("statut", max_length=20, choices=I.choices, default=I.ISSUED)
    rejection_reason = models.TextField("motif du rejet", blank=True)
    # What paid it: the payment run's line (its reference, set by ``mark_invoice_paid``).
    payout_reference = models.CharField("référence du paiement", max_length=100, blank=True)

    issued_at = models.DateTimeField("émise le")
    validated_at = models.DateTimeField("validée le", null=True, blank=True)
    paid_at = models.DateTimeField("payée le", null=True, blank=True)
    rejected_at = models.DateTimeField("rejetée le", null=True, blank=True)
    issued_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = "facture d'organisme"
        verbose_name_plural = "factures d'organismes"
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=I.values), name="invoice_status_known"),
            models.CheckConstraint(condition=Q(vat_rate__in=VatRate.values), name="invoice_vat_rate_legal"),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="invoice_amount_positive"),
            models.CheckConstraint(
                condition=Q(vat_cents__gte=0, vat_cents__lt=F("amount_cents")),
                name="invoice_vat_within_amount",
            ),
            models.CheckConstraint(condition=~Q(number=""), name="invoice_number_not_empty"),
            models.UniqueConstraint(fields=["provider", "number"], name="invoice_number_unique_per_provider"),
            # One invoice in play per file; a rejected one may be replaced.
            models.UniqueConstraint(
                fields=["registration"], condition=~Q(status=I.REJECTED), name="invoice_one_live_per_file"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[I.VALIDATED, I.PAID]) | Q(validated_at__isnull=False),
                name="invoice_validated_at_set_in_its_statuses",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[I.VALIDATED, I.PAID, I.REJECTED]) | Q(validated_at__isnull=True),
                name="invoice_validated_at_empty_elsewhere",
            ),
            models.CheckConstraint(
                condition=Q(status=I.PAID, paid_at__isnull=False, payout_reference__gt="")
                | (~Q(status=I.PAID) & Q(paid_at__isnull=True)),
                name="invoice_paid_at_iff_paid",
            ),
            models.CheckConstraint(
                condition=Q(status=I.REJECTED, rejected_at__isnull=False)
                | (~Q(status=I.REJECTED) & Q(rejected_at__isnull=True)),
                name="invoice_rejected_at_iff_rejected",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "provider"], name="invoice_status_idx"),
        ]

    def __str__(self) -> str:
        return f"Facture {self.number} (dossier n° {self.registration_id})"


class InvoiceTransition(TransitionLog):
    """Log of every state change of an invoice. Append-only."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField("de", max_length=20, choices=I.choices)
    to_status = models.CharField("vers", max_length=20, choices=I.choices)

    class Meta:
        verbose_name = "changement de statut de facture"
        ordering = ["invoice", "at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(from_status__in=I.values), name="invoice_transition_from_known"
            ),
            models.CheckConstraint(condition=Q(to_status__in=I.values), name="invoice_transition_to_known"),
        ]
