"""The pages every public service links from its footer: legal notice, accessibility statement,
contact and help. Static French text; the operator's own details come from the settings
(``SITE_OPERATOR``)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from cpf.core import clock, parameters

# The figures the help page quotes, as in force today (cpf.core.parameters).
HELP_FIGURES = (
    "rights_standard_yearly_cents",
    "rights_standard_ceiling_cents",
    "rights_enhanced_yearly_cents",
    "rights_enhanced_ceiling_cents",
    "flat_participation_cents",
    "provider_answer_business_days",
    "holder_acceptance_business_days",
    "free_cancellation_min_business_days",
)


def _page(request: HttpRequest, template: str, title: str, **context) -> HttpResponse:
    return render(
        request, f"www/pages/{template}.html", {"title": title, "operator": settings.SITE_OPERATOR, **context}
    )


@require_safe
def legal_notice(request: HttpRequest) -> HttpResponse:
    """Mentions légales: publisher, hosting, software licence, data sources, personal data."""
    return _page(request, "legal_notice", "Mentions légales")


@require_safe
def accessibility(request: HttpRequest) -> HttpResponse:
    """Déclaration d'accessibilité, with the conformity status as it stands (no audit yet)."""
    return _page(request, "accessibility", "Déclaration d'accessibilité")


@require_safe
def contact(request: HttpRequest) -> HttpResponse:
    """Whom to ask what: the provider, the funder, the operator of the service."""
    return _page(request, "contact", "Contact")


@require_safe
def help_page(request: HttpRequest) -> HttpResponse:
    """Questions people ask, answered with the rules the service applies."""
    figures = parameters.integers(HELP_FIGURES, on=clock.today())
    return _page(request, "help", "Aide", figures=figures)
