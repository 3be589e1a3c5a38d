"""Read-only questions about training organisations."""

from __future__ import annotations

import datetime

from django.db.models import Q

from cpf.referentials.models import Certification

from .models import Provider


def authorised_certifications(provider: Provider, *, today: datetime.date):
    """The certifications this provider may offer (rules 24 and 25): those a certifier
    authorised it for (``CertificationAuthorisation``, in force on ``today``), and those of its
    offers already in the catalogue (offers entered before the authorisations were recorded keep
    their certification)."""
    in_force = Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    authorised = provider.certification_authorisations.filter(in_force, granted_on__lte=today)
    return Certification.objects.filter(
        Q(pk__in=authorised.values("certification_id"))
        | Q(pk__in=provider.trainings.exclude(certification=None).values("certification_id"))
    ).order_by("code")
