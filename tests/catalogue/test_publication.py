"""Publication of offers: mandatory fields (rule 25), sanctions (rule 26), transition log."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection

from cpf.catalogue import services
from cpf.catalogue.enums import PublicationStatus
from cpf.catalogue.models import Training, TrainingTransition
from cpf.providers.enums import ProviderStatus
from cpf.referentials.models import Certification
from tests.clock import NOW
from tests.factories import ActionFactory, SessionFactory, TrainingFactory


def complete_training() -> Training:
    return SessionFactory().action.training


@pytest.mark.django_db
def test_a_complete_training_is_published_stamped_and_logged(admin_user):
    training = complete_training()

    services.publish_training(training=training, actor=admin_user, now=NOW)

    training.refresh_from_db()
    assert (training.status, training.published_at) == (PublicationStatus.PUBLISHED, NOW)
    assert list(training.transitions.values_list("from_status", "to_status", "reason")) == [
        ("draft", "published", "Publication")
    ]
    assert Training.objects.visible().filter(pk=training.pk).exists()


@pytest.mark.django_db
def test_publication_lists_every_missing_field_and_changes_nothing():
    training = TrainingFactory(objectives="", expected_results=" ")
    ActionFactory(training=training, prerequisites="", address="")

    with pytest.raises(services.NotPublishable) as refused:
        services.publish_training(training=training, actor=None, now=NOW)

    assert refused.value.messages == [
        "Renseignez les objectifs de la formation.",
        "Renseignez les résultats attendus de la formation.",
        "Action n° 1 : renseignez les prérequis.",
        "Action n° 1 : indiquez l'adresse du lieu de formation.",
        "Action n° 1 : ajoutez au moins une session ouverte à venir.",
    ]
    training.refresh_from_db()
    assert training.status == PublicationStatus.DRAFT
    assert TrainingTransition.objects.count() == 0


@pytest.mark.django_db
def test_a_training_without_action_or_on_an_inactive_certification_is_not_published():
    inactive = Certification.objects.filter(is_active=False).order_by("code").first()
    training = TrainingFactory(certification=inactive)

    with pytest.raises(services.NotPublishable) as refused:
        services.publish_training(training=training, actor=None, now=NOW)

    assert refused.value.messages == [
        "La certification visée n'est plus en vigueur au répertoire.",
        "Ajoutez au moins une action de formation (prix, durée, modalité, lieu).",
    ]


@pytest.mark.django_db
def test_a_remote_action_needs_no_place_but_a_past_session_does_not_count():
    training = TrainingFactory()
    SessionFactory(
        action__training=training,
        action__remote=True,
        start_date=datetime.date(2026, 1, 5),
        end_date=datetime.date(2026, 2, 5),
    )

    with pytest.raises(services.NotPublishable) as refused:
        services.publish_training(training=training, actor=None, now=NOW)

    assert refused.value.messages == ["Action n° 1 : ajoutez au moins une session ouverte à venir."]


@pytest.mark.django_db
def test_a_session_that_ended_yesterday_in_france_does_not_count_after_midnight_there():
    # given a session ending on 30 November: 30 November 23:30 UTC is already 1 December in Paris
    session = SessionFactory(start_date=datetime.date(2026, 11, 2), end_date=datetime.date(2026, 11, 30))
    just_after_midnight_in_paris = datetime.datetime(2026, 11, 30, 23, 30, tzinfo=datetime.UTC)

    with pytest.raises(services.NotPublishable) as refused:
        services.publish_training(
            training=session.action.training, actor=None, now=just_after_midnight_in_paris
        )

    assert refused.value.messages == ["Action n° 1 : ajoutez au moins une session ouverte à venir."]


@pytest.mark.django_db
def test_the_offers_of_a_suspended_provider_are_hidden():
    training = complete_training()
    services.publish_training(training=training, actor=None, now=NOW)

    training.provider.status = ProviderStatus.SUSPENDED
    training.provider.save()

    assert not Training.objects.visible().filter(pk=training.pk).exists()
    assert Training.objects.published().filter(pk=training.pk).exists()


@pytest.mark.django_db
def test_unpublish_and_suspend_need_a_reason_and_follow_the_table():
    training = complete_training()
    services.publish_training(training=training, actor=None, now=NOW)

    with pytest.raises(services.CatalogueError):
        services.suspend_training(training=training, actor=None, reason="", now=NOW)
    services.suspend_training(training=training, actor=None, reason="Contrôle qualité", now=NOW)
    with pytest.raises(services.TransitionNotAllowed) as refused:
        services.suspend_training(training=training, actor=None, reason="Encore", now=NOW)
    services.publish_training(training=training, actor=None, now=NOW, reason="Contrôle levé")
    services.unpublish_training(training=training, actor=None, reason="Fin de l'offre", now=NOW)

    assert list(training.transitions.values_list("to_status", flat=True)) == [
        "published",
        "suspended",
        "published",
        "unpublished",
    ]
    assert refused.value.messages == ["Impossible de passer du statut « suspendue » à « suspendue »."]


# (the search outbox and its job, written by PostgreSQL at each commit, are emptied too)
@pytest.mark.django_db(
    transaction=True,
    available_apps=["cpf.catalogue", "cpf.providers", "cpf.search", "procrastinate.contrib.django"],
)
def test_two_agents_suspending_at_once_produce_one_transition():
    # given a published training
    training = complete_training()
    services.publish_training(training=training, actor=None, now=NOW)
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def suspend() -> None:
        barrier.wait()
        try:
            services.suspend_training(training=training, actor=None, reason="Signalement", now=NOW)
            outcomes.append("suspended")
        except services.TransitionNotAllowed:
            outcomes.append("refused")
        finally:
            connection.close()

    # when two agents suspend it at the same moment, on two connections
    threads = [threading.Thread(target=suspend) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then the row lock lets one through and the other sees the new status
    assert sorted(outcomes) == ["refused", "suspended"]
    assert training.transitions.filter(to_status="suspended").count() == 1
