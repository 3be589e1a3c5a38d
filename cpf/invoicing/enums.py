"""The states of a provider's invoice and the VAT rates it may carry (rules 22, 23)."""

from __future__ import annotations

from django.db import models


class InvoiceStatus(models.TextChoices):
    """``issued`` by the provider, ``validated`` by the operator's checks (at once when the
    amount is within what is owed), then ``paid`` by a payment run, or ``rejected``."""

    ISSUED = "issued", "Émise"
    VALIDATED = "validated", "Validée"
    PAID = "paid", "Payée"
    REJECTED = "rejected", "Rejetée"


class VatRate(models.IntegerChoices):
    """The VAT rates of French law (code général des impôts, art. 278 to 281 nonies), in basis
    points (1/100 of a percent). Most training is exempt (art. 261-4-4° a): ``EXEMPT``."""

    EXEMPT = 0, "Exonéré (art. 261-4-4° a du CGI)"
    SUPER_REDUCED = 210, "2,1 %"
    REDUCED = 550, "5,5 %"
    INTERMEDIATE = 1000, "10 %"
    STANDARD = 2000, "20 %"
