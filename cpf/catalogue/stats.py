"""Live figures shown on the home page."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Q

from cpf.catalogue.enums import PublicationStatus, SessionStatus
from cpf.catalogue.models import Session, Training
from cpf.providers.enums import ProviderStatus
from cpf.providers.models import Provider
from cpf.referentials.models import Certification, Commune

CACHE_KEY = "catalogue:figures"
CACHE_SECONDS = 60


@dataclass(frozen=True)
class CatalogueFigures:
    trainings: int
    sessions: int
    providers: int
    certifications: int
    communes: int


def compute_catalogue_figures(*, today: datetime.date) -> CatalogueFigures:
    """Count what a person can find ``today``: published trainings, their open sessions not
    over, the referenced providers, the certifications current ``today`` (docs/adr/0016) and
    the communes one can search around."""
    trainings = Training.objects.visible().count()
    sessions = Session.objects.filter(
        status=SessionStatus.OPEN,
        end_date__gte=today,
        action__training__status=PublicationStatus.PUBLISHED,
        action__training__provider__status=ProviderStatus.REFERENCED,
    ).count()
    providers = Provider.objects.referenced().count()
    certifications = Certification.objects.registries().current(today).count()
    communes = Commune.objects.searchable().aggregate(
        n=Count("insee_code", distinct=True, filter=Q(latitude__isnull=False))
    )["n"]
    return CatalogueFigures(trainings, sessions, providers, certifications, communes)


def catalogue_figures(*, today: datetime.date) -> CatalogueFigures:
    """The figures, cached for a minute: the home page is the most visited page."""
    figures = cache.get(CACHE_KEY)
    if figures is None:
        figures = compute_catalogue_figures(today=today)
        cache.set(CACHE_KEY, figures, CACHE_SECONDS)
    return figures
