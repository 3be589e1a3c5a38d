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


class DocumentKind(models.TextChoices):
    """The documents a provider gives for its referencing and its bank details (rule 24)."""

    QUALIOPI = "qualiopi", "certificat Qualiopi"
    CERTIFIER_AUTHORISATION = "certifier_authorisation", "habilitation du certificateur"
    KBIS = "kbis", "extrait Kbis"
    BANK_STATEMENT = "bank_statement", "relevé d'identité bancaire (RIB)"


class RenewableKind(models.TextChoices):
    """The documents a provider renews in its space (the values of ``DocumentKind``'s)."""

    QUALIOPI = "qualiopi", "certificat Qualiopi"
    KBIS = "kbis", "extrait Kbis"


class DocumentCheckStatus(models.TextChoices):
    """Where a renewed document a provider sent stands: sent, then checked by a quality agent
    (or replaced by a newer one before its check)."""

    SUBMITTED = "submitted", "en attente de vérification"
    ACCEPTED = "accepted", "accepté"
    REFUSED = "refused", "refusé"
    REPLACED = "replaced", "remplacé par un nouvel envoi"


class SanctionKind(models.TextChoices):
    """What the operator decided against a provider (rule 26)."""

    UNPUBLISHING = "unpublishing", "dépublication d'offres"
    PAYMENT_SUSPENSION = "payment_suspension", "suspension des paiements"
    TEMPORARY_DELISTING = "temporary_delisting", "déréférencement temporaire"
    DEFINITIVE_DELISTING = "definitive_delisting", "déréférencement définitif"
