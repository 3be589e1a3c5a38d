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


class BusinessTopic(models.TextChoices):
    """What a support for creating or taking over a business covers."""

    PROJECT = "project", "étude et validation du projet"
    MARKET = "market", "étude de marché"
    BUSINESS_PLAN = "business_plan", "plan d'affaires (business plan) et prévisionnel financier"
    LEGAL_STATUS = "legal_status", "choix du statut juridique, fiscal et social"
    FINANCING = "financing", "financement et aides à la création"
    MARKETING = "marketing", "stratégie commerciale et marketing"
    ACCOUNTING = "accounting", "gestion, comptabilité et obligations déclaratives"
    TAKEOVER = "takeover", "reprise d'entreprise : évaluation et transmission"
    DIGITAL = "digital", "présence en ligne et outils numériques"


class ImportStatus(models.TextChoices):
    """Where a catalogue file's import stands (``CatalogueImport``)."""

    WAITING = "waiting", "en attente"
    CHECKING = "checking", "vérification des lignes"
    WRITING = "writing", "enregistrement"
    DONE = "done", "importé"
    REFUSED = "refused", "refusé"
    FAILED = "failed", "échec technique"
