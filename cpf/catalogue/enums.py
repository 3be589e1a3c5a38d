from django.db import models


class PublicationStatus(models.TextChoices):
    """Publication state of an offer (rules 25 and 26)."""

    DRAFT = "draft", "brouillon"
    PUBLISHED = "published", "publiée"
    UNPUBLISHED = "unpublished", "dépubliée"
    SUSPENDED = "suspended", "suspendue"


class Modality(models.TextChoices):
    IN_PERSON = "in_person", "en présentiel"
    REMOTE = "remote", "à distance"
    MIXED = "mixed", "mixte"


class SessionStatus(models.TextChoices):
    OPEN = "open", "ouverte"
    FULL = "full", "complète"
    CANCELLED = "cancelled", "annulée"


class ImportStatus(models.TextChoices):
    """Where a catalogue file's import stands (``CatalogueImport``)."""

    WAITING = "waiting", "en attente"
    CHECKING = "checking", "vérification des lignes"
    WRITING = "writing", "enregistrement"
    DONE = "done", "importé"
    REFUSED = "refused", "refusé"
    FAILED = "failed", "échec technique"
