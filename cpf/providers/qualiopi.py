"""The Qualiopi certificate's expiry (rule 24): a provider is warned by e-mail 60 and then 30
days before its certificate ends, and its published offers are unpublished once it has ended.
Both run every night (``cpf/providers/tasks.py``) and are idempotent: a warning is recorded
(``QualiopiWarning``, unique per certificate end date and delay) and sent once; an offer already
unpublished is not unpublished again, so a second run changes nothing and sends nothing. A
missed night is caught up: the warning due is the nearest one (30 days when fewer are left).

A renewed certificate (``cpf/providers/renewals.py``) takes effect once a quality agent accepts
it; the offers unpublished at the expiry are not republished by it: the provider republishes
each one (``unpublished_at_expiry`` lists them), once its certificate is valid again."""

from __future__ import annotations

import datetime

from django.db import transaction

from . import emails
from .enums import ProviderStatus
from .models import Provider, QualiopiWarning

WARNING_DAYS = (60, 30)
WARNED_STATUSES = (ProviderStatus.APPLYING, ProviderStatus.REFERENCED, ProviderStatus.SUSPENDED)
EXPIRY_REASON = "Certificat Qualiopi expiré"


def warn_expiring_certificates(*, today: datetime.date, now: datetime.datetime) -> int:
    """Warn each provider whose certificate ends within 60 days (then within 30), once per
    delay; returns how many e-mails were sent."""
    sent = 0
    candidates = Provider.objects.filter(
        status__in=WARNED_STATUSES,
        qualiopi_valid_until__gt=today,
        qualiopi_valid_until__lte=today + datetime.timedelta(days=max(WARNING_DAYS)),
    ).order_by("pk")
    for provider_id in candidates.values_list("pk", flat=True):
        sent += _warn(provider_id, today=today, now=now)
    return sent


def _warn(provider_id: int, *, today: datetime.date, now: datetime.datetime) -> int:
    with transaction.atomic():
        provider = Provider.objects.select_for_update(of=("self",)).get(pk=provider_id)
        end = provider.qualiopi_valid_until
        if end is None or end <= today:
            return 0
        days = min(d for d in WARNING_DAYS if (end - today).days <= d)
        if QualiopiWarning.objects.filter(provider=provider, valid_until=end, days_before__lte=days).exists():
            return 0
        QualiopiWarning.objects.create(provider=provider, valid_until=end, days_before=days, sent_at=now)
        emails.send_qualiopi_warning_email(provider=provider, valid_until=end, days_before=(end - today).days)
    return 1


def unpublish_offers_of_expired_certificates(*, today: datetime.date, now: datetime.datetime) -> int:
    """Unpublish every published training of a provider whose certificate ended before
    ``today`` (or that has none on record while referenced); returns how many."""
    from cpf.catalogue.enums import PublicationStatus
    from cpf.catalogue.models import Training
    from cpf.catalogue.services import unpublish_training

    count = 0
    expired = Training.objects.filter(
        status=PublicationStatus.PUBLISHED, provider__qualiopi_valid_until__lt=today
    )
    by_provider: dict[int, list[int]] = {}
    for training_id, provider_id in expired.order_by("provider_id", "pk").values_list("pk", "provider_id"):
        by_provider.setdefault(provider_id, []).append(training_id)
    for provider_id, training_ids in by_provider.items():
        with transaction.atomic():
            provider = Provider.objects.get(pk=provider_id)
            done = 0
            for training in Training.objects.filter(pk__in=training_ids, status=PublicationStatus.PUBLISHED):
                unpublish_training(
                    training=training,
                    actor=None,
                    reason=f"{EXPIRY_REASON} le {provider.qualiopi_valid_until:%d/%m/%Y}",
                    now=now,
                )
                done += 1
            if done:
                emails.send_qualiopi_expired_email(provider=provider, unpublished=done)
            count += done
    return count


def unpublished_at_expiry(provider: Provider):
    """The provider's trainings still unpublished since the nightly job withdrew them at the
    expiry of its certificate (their latest change is that one), the oldest first."""
    from django.db.models import OuterRef, Subquery

    from cpf.catalogue.enums import PublicationStatus
    from cpf.catalogue.models import Training, TrainingTransition

    latest = TrainingTransition.objects.filter(training=OuterRef("pk")).order_by("-at", "-id")
    return (
        Training.objects.filter(provider=provider, status=PublicationStatus.UNPUBLISHED)
        .annotate(
            last_reason=Subquery(latest.values("reason")[:1]),
            last_actor=Subquery(latest.values("actor")[:1]),
            unpublished_at=Subquery(latest.values("at")[:1]),
        )
        .filter(last_reason__startswith=EXPIRY_REASON, last_actor__isnull=True)
        .order_by("title", "pk")
    )
