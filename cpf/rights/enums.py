"""Stable codes of the rights app."""

from django.db import models


class FunderKind(models.TextChoices):
    """Who adds money to holders' accounts (rule 8)."""

    EMPLOYER = "employer", "employeur"
    OPCO = "opco", "opérateur de compétences (OPCO)"
    FRANCE_TRAVAIL = "france_travail", "France Travail"
    REGION = "region", "région"
    STATE = "state", "État"
    AGEFIPH = "agefiph", "Agefiph"
    OTHER = "other", "autre financeur"


class GrantKind(models.TextChoices):
    """A grant of free or earmarked use (rule 8), or the corrective co-funding (rule 9)."""

    GRANT = "grant", "dotation"
    CORRECTIVE = "corrective", "abondement correctif"
