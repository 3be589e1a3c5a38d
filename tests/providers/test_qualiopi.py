"""The Qualiopi certificate's expiry (rule 24), run every night: a warning 60 and 30 days
before, once each; the offers unpublished once it has ended, once. Running the job again the
same day (or any later day) sends and changes nothing more."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail

from cpf.catalogue.enums import PublicationStatus
from cpf.catalogue.models import Training, TrainingTransition
from cpf.providers.enums import ProviderStatus
from cpf.providers.models import QualiopiWarning
from cpf.providers.qualiopi import unpublish_offers_of_expired_certificates, warn_expiring_certificates
from cpf.providers.tasks import qualiopi_expiry_task
from tests.clock import NOW, TODAY
from tests.factories import ProviderFactory, TrainingFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def warn(today: datetime.date) -> int:
    return warn_expiring_certificates(
        today=today, now=datetime.datetime.combine(today, datetime.time(2), datetime.UTC)
    )


def test_a_provider_is_warned_60_then_30_days_before_once_each(deliver_emails):
    end = TODAY + 70 * DAY
    provider = ProviderFactory(qualiopi_valid_until=end, email="contact@institut.example")

    sent = [warn(end - days * DAY) for days in (61, 60, 59, 45, 31, 30, 30, 29, 1)]

    assert sent == [0, 1, 0, 0, 0, 1, 0, 0, 0]
    assert list(provider.qualiopi_warnings.order_by("days_before").values_list("days_before", flat=True)) == [
        30,
        60,
    ]
    deliver_emails()
    assert [m.subject for m in mail.outbox] == [
        f"Compte Formation : votre certificat Qualiopi expire le {end:%d/%m/%Y}"
    ] * 2
    assert "dans 60 jours" in mail.outbox[0].body
    assert "dans 30 jours" in mail.outbox[1].body


def test_a_missed_night_sends_the_nearest_warning_only():
    end = TODAY + 20 * DAY
    provider = ProviderFactory(qualiopi_valid_until=end)

    assert (warn(TODAY), warn(TODAY)) == (1, 0)
    assert list(provider.qualiopi_warnings.values_list("days_before", flat=True)) == [30]


def test_a_renewed_certificate_is_warned_about_again_before_its_new_end():
    provider = ProviderFactory(qualiopi_valid_until=TODAY + 30 * DAY)
    warn(TODAY)
    provider.qualiopi_valid_until = TODAY + 395 * DAY
    provider.save()

    assert warn(TODAY + 335 * DAY) == 1
    assert QualiopiWarning.objects.filter(provider=provider).count() == 2


def test_refused_or_delisted_providers_are_not_warned():
    ProviderFactory(qualiopi_valid_until=TODAY + 30 * DAY, status=ProviderStatus.REFUSED)

    assert warn(TODAY) == 0


def test_offers_are_unpublished_once_the_certificate_has_ended_and_only_once(deliver_emails):
    # given a provider whose certificate ended yesterday, with two published trainings and a draft
    expired = ProviderFactory(qualiopi_valid_until=TODAY - DAY, email="contact@expire.example")
    published = [TrainingFactory(provider=expired, published=True) for _ in range(2)]
    draft = TrainingFactory(provider=expired)
    # and a provider whose certificate ends today (still valid today)
    valid = ProviderFactory(qualiopi_valid_until=TODAY)
    kept = TrainingFactory(provider=valid, published=True)

    # when the job runs twice
    first = unpublish_offers_of_expired_certificates(today=TODAY, now=NOW)
    second = unpublish_offers_of_expired_certificates(today=TODAY, now=NOW + DAY)

    # then the expired provider's published trainings were unpublished once, with the reason
    assert (first, second) == (2, 0)
    statuses = dict(Training.objects.values_list("pk", "status"))
    assert [statuses[t.pk] for t in published] == [PublicationStatus.UNPUBLISHED] * 2
    assert (statuses[draft.pk], statuses[kept.pk]) == (PublicationStatus.DRAFT, PublicationStatus.PUBLISHED)
    reasons = TrainingTransition.objects.filter(
        training__in=published, to_status=PublicationStatus.UNPUBLISHED
    )
    assert [r.reason for r in reasons] == [f"Certificat Qualiopi expiré le {TODAY - DAY:%d/%m/%Y}"] * 2
    deliver_emails()
    [message] = mail.outbox
    assert message.subject == "Compte Formation : vos offres sont dépubliées (certificat Qualiopi expiré)"
    assert "Vos 2 offres ont été dépubliées" in message.body


def test_the_nightly_task_warns_and_unpublishes(frozen_clock):
    ProviderFactory(qualiopi_valid_until=TODAY + 60 * DAY)
    TrainingFactory(provider=ProviderFactory(qualiopi_valid_until=TODAY - DAY), published=True)

    assert qualiopi_expiry_task(timestamp=0) == {"warned": 1, "unpublished": 1}
    assert qualiopi_expiry_task(timestamp=0) == {"warned": 0, "unpublished": 0}
