"""Stable codes of the ledger: kinds of accounts and of transactions."""

from django.db import models


class AccountKind(models.TextChoices):
    """Who or what an account belongs to (DESIGN.md section 3)."""

    HOLDER_RIGHTS = "holder_rights", "droits du titulaire"
    HOLDER_GRANT = "holder_grant", "dotation sur le compte du titulaire"
    CPF_FUND = "cpf_fund", "fonds CPF"
    FUNDER = "funder", "financeur"
    CARD_CLEARING = "card_clearing", "attente des paiements par carte"
    PROVIDER_PAYABLE = "provider_payable", "sommes dues à l'organisme"
    OPERATOR_BANK = "operator_bank", "banque de l'opérateur"


# A holder's accounts carry a cached balance that can never go negative; the others (the fund,
# funders, clearing, payables, the bank) are counterparts whose balance is the sum of their
# entries, computed when needed (no hot row that every crediting would have to lock).
HOLDER_ACCOUNT_KINDS = (AccountKind.HOLDER_RIGHTS, AccountKind.HOLDER_GRANT)
SYSTEM_ACCOUNT_KINDS = (AccountKind.CPF_FUND, AccountKind.CARD_CLEARING, AccountKind.OPERATOR_BANK)


class TransactionKind(models.TextChoices):
    """What a transaction records. The codes are stable: the API and the history expose them."""

    YEARLY_CREDIT = "yearly_credit", "droits acquis"
    CREDIT_CORRECTION = "credit_correction", "régularisation des droits"
    GRANT = "grant", "dotation"
    CORRECTIVE_GRANT = "corrective_grant", "abondement correctif"


CREDIT_KINDS = (TransactionKind.YEARLY_CREDIT, TransactionKind.CREDIT_CORRECTION)
GRANT_KINDS = (TransactionKind.GRANT, TransactionKind.CORRECTIVE_GRANT)
