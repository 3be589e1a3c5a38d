"""Stable codes of the payouts to providers (rules 20, 23)."""

from django.db import models


class ItemKind(models.TextChoices):
    """What a payout item pays for one registration file: the advance owed at entry for a long
    session (rule 20), or what remains owed once the service done is validated or the file is
    closed with an amount for the provider (rules 19, 22, 23)."""

    ADVANCE = "advance", "avance"
    BALANCE = "balance", "solde"


class TransferStatus(models.TextChoices):
    """A credit transfer of a payment run: sent in the file, or returned by the bank (wrong
    account, closed account…), its amount then given back to the provider's payable; or netted
    (*compensé*): what the run owed the provider went wholly to recovering its debt (an
    overpaid advance, docs/adr/0020), nothing is sent, the transfer is not in the file."""

    SENT = "sent", "émis"
    REJECTED = "rejected", "rejeté"
    NETTED = "netted", "compensé"


class RunTrigger(models.TextChoices):
    DAILY = "daily", "quotidien"
    AGENT = "agent", "lancé par un agent"
