"""Payment runs: what the operator pays the training organisations, by SEPA credit transfer
(rules 20, 23; docs/adr/0016-payouts.md).

- A ``PayoutRun`` gathers, in one database transaction, every amount due (advances at entry,
  balances of validated services) per provider, to the bank details in force at the run, and
  produces one ``pain.001.001.09`` file.
- A ``Transfer`` is one line of that file (one per provider and run, its ``end_to_end_id`` the
  bank's reference) and one ``payout`` transaction in the ledger, the provider's payable → payout
  clearing (and → its receivable for the part kept back to recover a debt, ``recovered_cents``),
  keyed ``payout:<end_to_end_id>``. A transfer whose whole amount recovers a debt is ``netted``:
  amount 0, not in the file.
- A ``PayoutItem`` says what a transfer pays: one file's advance or balance. The database keeps at
  most one live item per file and kind (a partial unique index): no amount is ever paid twice,
  whatever runs at once or restarts. A returned transfer's items are marked ``returned`` (the
  amount is owed again and a later run pays it, to new bank details).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .enums import ItemKind, RunTrigger, TransferStatus


class PayoutRun(models.Model):
    """One payment run and its SEPA file (``xml``, empty when nothing was due). ``key`` names
    what started it (``daily:<day>``, ``agent:<user>:<moment>``): a run started twice with the
    same key is recorded once."""

    key = models.CharField("clé", max_length=100, unique=True)
    trigger = models.CharField("origine", max_length=10, choices=RunTrigger.choices)
    started_at = models.DateTimeField("lancé le")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="lancé par",
        db_index=False,
    )
    execution_date = models.DateField("date d'exécution demandée")
    message_id = models.CharField("identifiant du message (MsgId)", max_length=35, blank=True)
    transfer_count = models.PositiveIntegerField("virements", default=0)
    item_count = models.PositiveIntegerField("sommes payées", default=0)
    total_cents = models.BigIntegerField("montant total (centimes)", default=0)
    xml = models.TextField("fichier pain.001", blank=True)

    class Meta:
        verbose_name = "campagne de virements"
        verbose_name_plural = "campagnes de virements"
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total_cents__gte=0), name="payout_run_total_not_negative"),
            models.CheckConstraint(
                condition=Q(trigger__in=RunTrigger.values), name="payout_run_trigger_known"
            ),
        ]

    def __str__(self) -> str:
        return f"Campagne n° {self.pk} du {self.started_at:%d/%m/%Y}"


class TransferQuerySet(models.QuerySet["Transfer"]):
    def for_provider(self, provider_id: int) -> TransferQuerySet:
        return self.filter(provider_id=provider_id)

    def sent(self) -> TransferQuerySet:
        return self.filter(status=TransferStatus.SENT)


class Transfer(models.Model):
    """One credit transfer to one provider in a run's file. The creditor's name, IBAN and BIC
    are copied from the bank details in force at the run (``bank_details``), never read again
    afterwards. Rejected once, for good: its amount goes back to the provider's payable."""

    run = models.ForeignKey(PayoutRun, on_delete=models.PROTECT, related_name="transfers")
    provider = models.ForeignKey(
        "providers.Provider", on_delete=models.PROTECT, related_name="transfers", verbose_name="organisme"
    )
    bank_details = models.ForeignKey(
        "providers.BankDetails", on_delete=models.PROTECT, related_name="+", verbose_name="coordonnées"
    )
    creditor_name = models.CharField("bénéficiaire", max_length=70)
    iban = models.CharField("IBAN", max_length=34)
    bic = models.CharField("BIC", max_length=11, blank=True)
    amount_cents = models.BigIntegerField("montant (centimes)")
    # What the run kept back, of what it owed the provider, to recover its debt (an overpaid
    # advance, docs/adr/0020): the items pay ``amount_cents + recovered_cents``.
    recovered_cents = models.BigIntegerField("trop-perçu recouvré (centimes)", default=0, db_default=0)
    end_to_end_id = models.CharField("référence de bout en bout (EndToEndId)", max_length=35, unique=True)
    remittance = models.CharField("libellé", max_length=140)
    status = models.CharField(
        "état", max_length=10, choices=TransferStatus.choices, default=TransferStatus.SENT
    )
    rejected_at = models.DateTimeField("rejeté le", null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="rejet saisi par",
        db_index=False,
    )
    rejection_reason = models.CharField("motif du rejet", max_length=200, blank=True)

    objects = TransferQuerySet.as_manager()

    class Meta:
        verbose_name = "virement"
        ordering = ["-run_id", "provider_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_cents__gt=0) | Q(amount_cents=0, status=TransferStatus.NETTED),
                name="payout_transfer_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(recovered_cents__gte=0), name="payout_transfer_recovered_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(status__in=TransferStatus.values), name="payout_transfer_status_known"
            ),
            models.CheckConstraint(
                condition=Q(status=TransferStatus.SENT, rejected_at__isnull=True)
                | Q(status=TransferStatus.NETTED, amount_cents=0, rejected_at__isnull=True)
                | Q(status=TransferStatus.REJECTED, rejected_at__isnull=False),
                name="payout_transfer_rejected_at_with_status",
            ),
            models.UniqueConstraint(
                fields=["run", "provider"], name="payout_transfer_one_per_provider_and_run"
            ),
        ]
        indexes = [models.Index(fields=["provider", "status"], name="payout_transfer_provider_idx")]

    def __str__(self) -> str:
        return f"Virement {self.end_to_end_id}"


class PayoutItem(models.Model):
    """What a transfer pays for one registration file (rules 20, 23): its advance or its
    balance (the provider's validated invoice, less the advance paid). ``due_on`` is the last
    day it could be paid on time (30 calendar days after the validated service or the entry,
    rule 23)."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="items")
    registration = models.ForeignKey(
        "bookings.Registration", on_delete=models.PROTECT, related_name="payout_items", verbose_name="dossier"
    )
    kind = models.CharField("nature", max_length=10, choices=ItemKind.choices)
    # The provider's invoice the balance pays (rule 23); none for an advance, nor for what a
    # cancellation gave the provider (an indemnity is not invoiced).
    invoice = models.ForeignKey(
        "invoicing.Invoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payout_items",
        verbose_name="facture",
    )
    amount_cents = models.BigIntegerField("montant (centimes)")
    due_on = models.DateField("à payer au plus tard le")
    returned = models.BooleanField("rendu (virement rejeté)", default=False)

    class Meta:
        verbose_name = "somme payée"
        verbose_name_plural = "sommes payées"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payout_item_amount_positive"),
            models.CheckConstraint(condition=Q(kind__in=ItemKind.values), name="payout_item_kind_known"),
            # The guard of "never paid twice": one live item per file and kind.
            models.UniqueConstraint(
                fields=["registration", "kind"],
                condition=Q(returned=False),
                name="payout_item_once_per_file_and_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} du dossier n° {self.registration_id}"
