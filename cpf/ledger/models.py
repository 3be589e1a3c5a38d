"""The double-entry ledger of rights and money (DESIGN.md section 3, docs/adr/0003-ledger.md).

- An ``Account`` belongs to a holder (rights, one grant, reserved rights, the credit note), to a
  provider (its payable), to a funder, or to the operator (the CPF fund, card clearing, the bank).
- A ``Transaction`` groups ``Entry`` rows whose amounts sum to zero. A positive amount adds to
  the account, a negative one takes from it: crediting €500 of rights is +50000 on the holder's
  rights account and -50000 on the CPF fund.
- The database itself enforces the invariants (migration ``0002_ledger_triggers``): a deferred
  constraint trigger refuses to commit a transaction whose entries do not sum to zero, triggers
  refuse any UPDATE or DELETE of transactions and entries, entries can only be added to a
  transaction created in the same database transaction, and a ``CHECK`` keeps every holder
  balance at or above zero. Corrections are new, compensating transactions.
- Holder accounts and providers' payables carry a cached ``balance_cents``, changed only by
  ``cpf.ledger.services`` in the same database transaction as the entries, under a row lock
  taken in ascending account id order; ``manage.py reconcile_ledger`` proves it equals the sum
  of the entries, and the reserved and card-clearing balances equal what the files hold.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now

from .enums import (
    HOLDER_ACCOUNT_KINDS,
    NEVER_POSITIVE_ACCOUNT_KINDS,
    PROVIDER_ACCOUNT_KINDS,
    AccountKind,
    TransactionKind,
)


class AccountQuerySet(models.QuerySet["Account"]):
    def for_holder(self, holder_id: int) -> AccountQuerySet:
        return self.filter(holder_id=holder_id)

    def rights(self) -> AccountQuerySet:
        return self.filter(kind=AccountKind.HOLDER_RIGHTS)

    def of_kind(self, kind: AccountKind) -> AccountQuerySet:
        return self.filter(kind=kind)


class Account(models.Model):
    """One account of the ledger. Holder accounts (rights, grants, reserved rights, credit note)
    and providers' payables carry a cached balance that can never be negative (a provider's
    receivable: never positive, the debt is its opposite); the operator's and
    funders' accounts do not (their balance is the sum of their entries, usually negative: the
    money they have given out)."""

    kind = models.CharField("nature", max_length=30, choices=AccountKind.choices)
    holder = models.ForeignKey(
        "holders.Holder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
        verbose_name="titulaire",
    )
    provider = models.ForeignKey(
        "providers.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
        verbose_name="organisme",
        db_index=False,  # a payable and a receivable per provider: the partial unique indexes find them
    )
    key = models.CharField(
        "clé",
        max_length=100,
        null=True,
        blank=True,
        help_text="Identifiant stable des comptes de l'opérateur et des financeurs.",
    )
    name = models.CharField("libellé", max_length=200, blank=True)
    balance_cents = models.BigIntegerField("solde (centimes)", null=True, blank=True)
    created_at = models.DateTimeField("ouvert le", db_default=Now())

    objects = AccountQuerySet.as_manager()

    class Meta:
        verbose_name = "compte"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=AccountKind.values), name="ledger_account_kind_known"
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind__in=HOLDER_ACCOUNT_KINDS,
                        holder__isnull=False,
                        provider__isnull=True,
                        balance_cents__isnull=False,
                    )
                    | Q(
                        kind__in=PROVIDER_ACCOUNT_KINDS,
                        holder__isnull=True,
                        provider__isnull=False,
                        balance_cents__isnull=False,
                    )
                    | (
                        ~Q(kind__in=[*HOLDER_ACCOUNT_KINDS, *PROVIDER_ACCOUNT_KINDS])
                        & Q(holder__isnull=True, provider__isnull=True, balance_cents__isnull=True)
                    )
                ),
                name="ledger_account_owner_and_balance_by_kind",
            ),
            models.CheckConstraint(
                condition=Q(balance_cents__gte=0)
                | Q(kind__in=NEVER_POSITIVE_ACCOUNT_KINDS, balance_cents__lte=0),
                name="ledger_account_balance_never_negative",
            ),
            models.UniqueConstraint(
                fields=["holder"],
                condition=Q(kind=AccountKind.HOLDER_RIGHTS),
                name="ledger_account_one_rights_account_per_holder",
            ),
            models.UniqueConstraint(
                fields=["holder"],
                condition=Q(kind=AccountKind.HOLDER_RESERVED),
                name="ledger_account_one_reserved_account_per_holder",
            ),
            models.UniqueConstraint(
                fields=["holder"],
                condition=Q(kind=AccountKind.HOLDER_CREDIT_NOTE),
                name="ledger_account_one_credit_note_per_holder",
            ),
            models.UniqueConstraint(
                fields=["provider"],
                condition=Q(kind=AccountKind.PROVIDER_PAYABLE),
                name="ledger_account_one_payable_per_provider",
            ),
            models.UniqueConstraint(
                fields=["provider"],
                condition=Q(kind=AccountKind.PROVIDER_RECEIVABLE),
                name="ledger_account_one_receivable_per_provider",
            ),
            models.UniqueConstraint(fields=["key"], name="ledger_account_unique_key"),
        ]

    def __str__(self) -> str:
        if self.holder_id is not None:
            return f"{self.get_kind_display()} n° {self.pk} (titulaire n° {self.holder_id})"
        if self.provider_id is not None:
            return f"{self.get_kind_display()} n° {self.pk} (organisme n° {self.provider_id})"
        return self.name or f"{self.get_kind_display()} n° {self.pk}"


class TransactionQuerySet(models.QuerySet["Transaction"]):
    def credits_for_year(self, year: int) -> TransactionQuerySet:
        from .enums import CREDIT_KINDS

        return self.filter(kind__in=CREDIT_KINDS, period=year)


class Transaction(models.Model):
    """A group of entries that sum to zero, recorded once: ``idempotency_key`` is unique, so the
    same operation submitted twice is recorded once (DESIGN.md section 3).

    ``reference`` names what caused it (``declaration:<id>``, ``grant:<id>``, later a
    registration or a payment); ``period`` is the year a yearly credit is for; ``details`` keeps
    the facts shown in the holder's history (rate applied, part cut by the ceiling…).

    The table also has a ``created_xact`` column, unknown to Django, filled by the database
    with the id of the database transaction that inserted the row: the trigger refusing late
    entries compares it with the current one (migration ``0002_ledger_triggers``)."""

    kind = models.CharField("nature", max_length=40, choices=TransactionKind.choices)
    idempotency_key = models.CharField("clé d'idempotence", max_length=200)
    reference = models.CharField("référence", max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="auteur",
        db_index=False,
    )
    period = models.PositiveSmallIntegerField("année concernée", null=True, blank=True)
    details = models.JSONField("détails", default=dict, blank=True)
    created_at = models.DateTimeField("enregistrée le", db_default=Now())

    objects = TransactionQuerySet.as_manager()

    class Meta:
        verbose_name = "transaction"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=TransactionKind.values), name="ledger_transaction_kind_known"
            ),
            # A constraint rather than ``unique=True``: no extra LIKE index on a table of millions.
            models.UniqueConstraint(
                fields=["idempotency_key"], name="ledger_transaction_unique_idempotency_key"
            ),
        ]
        indexes = [
            models.Index(fields=["actor"], condition=Q(actor__isnull=False), name="ledger_tx_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} n° {self.pk} ({self.idempotency_key})"


class Entry(models.Model):
    """One line of a transaction: a signed amount on one account. Never updated, never
    deleted (a trigger refuses it); a correction is a new transaction."""

    transaction = models.ForeignKey(
        Transaction, on_delete=models.PROTECT, related_name="entries", verbose_name="transaction"
    )
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries", verbose_name="compte"
    )
    amount_cents = models.BigIntegerField("montant (centimes)")

    class Meta:
        verbose_name = "écriture"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.amount_cents:+d} c sur le compte n° {self.account_id}"
