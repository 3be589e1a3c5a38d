"""Stable codes of the ledger: kinds of accounts and of transactions."""

from django.db import models


class AccountKind(models.TextChoices):
    """Who or what an account belongs to (DESIGN.md section 3)."""

    HOLDER_RIGHTS = "holder_rights", "droits du titulaire"
    HOLDER_GRANT = "holder_grant", "dotation sur le compte du titulaire"
    HOLDER_RESERVED = "holder_reserved", "droits réservés du titulaire"
    HOLDER_CREDIT_NOTE = "holder_credit_note", "avoir du titulaire"
    CPF_FUND = "cpf_fund", "fonds CPF"
    FUNDER = "funder", "financeur"
    CARD_CLEARING = "card_clearing", "attente des paiements par carte"
    PROVIDER_PAYABLE = "provider_payable", "sommes dues à l'organisme"
    PROVIDER_RECEIVABLE = "provider_receivable", "trop-perçu à recouvrer sur l'organisme"
    OPERATOR_BANK = "operator_bank", "banque de l'opérateur"
    PAYOUT_CLEARING = "payout_clearing", "virements émis aux organismes"


# A holder's accounts carry a cached balance that can never go negative: rights, each grant, the
# rights reserved for accepted files (one per holder) and the credit note (*avoir*, card money
# kept for a later purchase, one per holder).
HOLDER_ACCOUNT_KINDS = (
    AccountKind.HOLDER_RIGHTS,
    AccountKind.HOLDER_GRANT,
    AccountKind.HOLDER_RESERVED,
    AccountKind.HOLDER_CREDIT_NOTE,
)
# What a holder can spend on a purchase (rule 10): not the reserved account.
SPENDABLE_ACCOUNT_KINDS = (
    AccountKind.HOLDER_RIGHTS,
    AccountKind.HOLDER_GRANT,
    AccountKind.HOLDER_CREDIT_NOTE,
)
# A provider's payable also carries a cached balance, never negative, locked like a holder's:
# what the operator owes the provider (payouts take from it). Its receivable (*trop-perçu à
# recouvrer*, rules 20, 22, docs/adr/0020) is what the provider owes the operator: an advance paid
# that the settled service done did not earn. An asset of the operator, so its cached balance is
# never POSITIVE (−5000: the provider owes €50); the payment runs recover it.
PROVIDER_ACCOUNT_KINDS = (AccountKind.PROVIDER_PAYABLE, AccountKind.PROVIDER_RECEIVABLE)
# The cached accounts whose balance is never above zero (all others: never below).
NEVER_POSITIVE_ACCOUNT_KINDS = (AccountKind.PROVIDER_RECEIVABLE,)
# Every account whose balance is cached on its row and checked, under a lock, by each posting.
CACHED_ACCOUNT_KINDS = (*HOLDER_ACCOUNT_KINDS, *PROVIDER_ACCOUNT_KINDS)
# The others (the fund, funders, clearing, the bank) are counterparts whose balance is the sum of
# their entries, computed when needed (no hot row that every crediting would have to lock).
SYSTEM_ACCOUNT_KINDS = (
    AccountKind.CPF_FUND,
    AccountKind.CARD_CLEARING,
    AccountKind.OPERATOR_BANK,
    AccountKind.PAYOUT_CLEARING,
)


class TransactionKind(models.TextChoices):
    """What a transaction records. The codes are stable: the API and the history expose them.

    The registration file's movements (rules 10 to 13, 19 to 22; docs/adr/0013):
    ``reservation`` (spendable accounts → reserved, at acceptance), ``reservation_release`` (the
    reverse, when the card part fails or the file lapses), ``card_capture`` (the bank → card
    clearing, a card payment captured), ``card_refund`` (clearing → the bank, a refund sent),
    ``entry_debit`` (reserved and card clearing → the provider's payable, the flat participation
    → the CPF fund, at entry), ``cancellation_settlement`` and ``service_done_settlement`` (what
    a cancellation or the service done gives back, forfeits or pays), ``credit_note`` (card money
    turned into a credit note outside a settlement). When a settlement leaves the provider less
    than the advance already paid to it, the same settlement posts the overpayment to the
    provider's receivable (docs/adr/0020).

    The payouts to providers (rules 20, 23; ``cpf.payouts``): ``payout`` (the provider's payable →
    payout clearing, one per credit transfer of a payment run, and, when the provider owes an
    overpayment, its recovery: the part of what is paid kept back goes to the receivable),
    ``payout_return`` (the reverse, when the bank returns the transfer)."""

    YEARLY_CREDIT = "yearly_credit", "droits acquis"
    CREDIT_CORRECTION = "credit_correction", "régularisation des droits"
    GRANT = "grant", "dotation"
    CORRECTIVE_GRANT = "corrective_grant", "abondement correctif"
    RESERVATION = "reservation", "réservation pour une formation"
    RESERVATION_RELEASE = "reservation_release", "libération d'une réservation"
    CARD_CAPTURE = "card_capture", "paiement par carte"
    CARD_REFUND = "card_refund", "remboursement sur la carte"
    ENTRY_DEBIT = "entry_debit", "débit à l'entrée en formation"
    CANCELLATION_SETTLEMENT = "cancellation_settlement", "règlement d'une annulation"
    SERVICE_DONE_SETTLEMENT = "service_done_settlement", "règlement du service fait"
    CREDIT_NOTE = "credit_note", "avoir"
    PAYOUT = "payout", "virement à l'organisme"
    PAYOUT_RETURN = "payout_return", "virement à l'organisme rejeté"


CREDIT_KINDS = (TransactionKind.YEARLY_CREDIT, TransactionKind.CREDIT_CORRECTION)
GRANT_KINDS = (TransactionKind.GRANT, TransactionKind.CORRECTIVE_GRANT)
