"""Choices shared by the core models."""

from __future__ import annotations

from django.db import models


class ParameterUnit(models.TextChoices):
    """What the value of a dated legal parameter counts (``cpf.core.parameters``)."""

    CENTS = "cents", "centimes d'euro"
    BUSINESS_DAYS = "business_days", "jours ouvrés"
    CALENDAR_DAYS = "calendar_days", "jours calendaires"
    MONTHS = "months", "mois"
    PERCENT = "percent", "pour cent"
    COUNT = "count", "nombre"
    PERCENT_TIERS = "percent_tiers", "paliers (pour cent)"
