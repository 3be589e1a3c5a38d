from django.db import models


class ProviderStatus(models.TextChoices):
    """Referencing status of a training organisation (rules 24 and 26)."""

    APPLYING = "applying", "candidature en cours"
    REFERENCED = "referenced", "référencé"
    REFUSED = "refused", "candidature refusée"
    SUSPENDED = "suspended", "paiements suspendus"
    DELISTED = "delisted", "déréférencé"


class BankDetailsStatus(models.TextChoices):
    """Where a provider's bank details stand: entered, then checked by a payments agent."""

    SUBMITTED = "submitted", "en attente de vérification"
    VERIFIED = "verified", "vérifiées"
    REJECTED = "rejected", "rejetées"
