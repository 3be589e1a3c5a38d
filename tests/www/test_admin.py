"""The agents' back-office (Django admin): only staff get in, every model is browsable, and
status changes go through the services."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from cpf.catalogue.enums import PublicationStatus
from cpf.providers.enums import ProviderStatus
from tests.factories import ProviderFactory, SessionFactory

DOMAIN_APPS = {"core", "referentials", "providers", "catalogue"}


def changelist_urls() -> list[str]:
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
        if model._meta.app_label in DOMAIN_APPS
    ]


@pytest.mark.django_db
def test_every_domain_model_is_registered_in_the_admin():
    from django.apps import apps

    # a model edited only inside another's page (an inline) counts as registered; a table
    # another library owns (``managed = False``: the worker's jobs) has that library's pages
    registered = set(admin.site._registry) | {
        inline.model for model_admin in admin.site._registry.values() for inline in model_admin.inlines
    }
    missing = [
        model.__name__
        for label in DOMAIN_APPS
        for model in apps.get_app_config(label).get_models()
        if model not in registered and not model._meta.auto_created and model._meta.managed
    ]
    assert missing == []


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(reverse("admin:providers_provider_changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_a_logged_in_non_staff_user_cannot_enter(client, django_user_model):
    user = django_user_model.objects.create_user(
        "titulaire", kind="holder", email="t@example.fr", password="x"
    )
    client.force_login(user)

    response = client.get(reverse("admin:catalogue_training_changelist"))

    assert response.status_code == 302


@pytest.mark.django_db
def test_an_agent_browses_every_changelist(admin_client):
    SessionFactory()

    for url in changelist_urls():
        response = admin_client.get(url)
        assert response.status_code == 200, url


@pytest.mark.django_db
def test_an_agent_references_a_provider_through_the_admin_action(admin_client):
    provider = ProviderFactory(applying=True)

    response = admin_client.post(
        reverse("admin:providers_provider_changelist"),
        {"action": "reference_provider_action", "_selected_action": [provider.pk]},
        follow=True,
    )

    provider.refresh_from_db()
    assert response.status_code == 200
    assert provider.status == ProviderStatus.REFERENCED
    assert provider.transitions.last().reason == "Référencement"


@pytest.mark.django_db
def test_suspending_a_provider_asks_for_a_reason_first(admin_client):
    provider = ProviderFactory()
    url = reverse("admin:providers_provider_changelist")

    asked = admin_client.post(url, {"action": "suspend_provider_action", "_selected_action": [provider.pk]})
    provider.refresh_from_db()
    assert asked.status_code == 200
    assert "Motif" in asked.text
    assert provider.status == ProviderStatus.REFERENCED

    admin_client.post(
        url,
        {
            "action": "suspend_provider_action",
            "_selected_action": [provider.pk],
            "apply": "1",
            "reason": "Signalements de démarchage",
        },
    )
    provider.refresh_from_db()
    assert provider.status == ProviderStatus.SUSPENDED
    assert provider.transitions.last().reason == "Signalements de démarchage"


@pytest.mark.django_db
def test_publishing_an_incomplete_training_reports_why(admin_client):
    session = SessionFactory(action__prerequisites="")
    training = session.action.training

    response = admin_client.post(
        reverse("admin:catalogue_training_changelist"),
        {"action": "publish_training_action", "_selected_action": [training.pk]},
        follow=True,
    )

    training.refresh_from_db()
    assert training.status == PublicationStatus.DRAFT
    assert "Action n° 1 : renseignez les prérequis." in response.text


@pytest.mark.django_db
def test_renaming_a_provider_in_the_admin_reaches_the_search_outbox(admin_client):
    from cpf.search.models import SearchOutbox

    provider = ProviderFactory()
    SearchOutbox.objects.all().delete()
    url = reverse("admin:providers_provider_change", args=[provider.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "legal_name": "Nouveau nom de l'organisme",
            "commune": provider.commune_id,
            "transitions-TOTAL_FORMS": 0,
            "transitions-INITIAL_FORMS": 0,
            "bank_details-TOTAL_FORMS": 0,
            "bank_details-INITIAL_FORMS": 0,
        }
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302
    assert list(SearchOutbox.objects.values_list("kind", "object_id")) == [("provider", provider.pk)]


@pytest.mark.django_db
def test_editing_a_session_or_deleting_an_action_in_the_admin_reaches_the_search_outbox(admin_client):
    from cpf.search.models import SearchOutbox

    # given a training with one action and one session
    session = SessionFactory()
    training_id = session.action.training_id
    SearchOutbox.objects.all().delete()

    # when an agent changes the session's end date
    changed = admin_client.post(
        reverse("admin:catalogue_session_change", args=[session.pk]),
        {"action": session.action_id, "start_date": "2027-03-01", "end_date": "2027-07-15"},
    )

    # then PostgreSQL wrote an outbox row naming the training, for the indexer
    assert changed.status_code == 302
    assert list(SearchOutbox.objects.values_list("kind", "object_id")) == [("training", training_id)]

    # and so again when the agent deletes the action (with its session)
    SearchOutbox.objects.all().delete()
    deleted = admin_client.post(
        reverse("admin:catalogue_action_delete", args=[session.action_id]), {"post": "yes"}
    )
    assert deleted.status_code == 302
    assert list(SearchOutbox.objects.values_list("kind", "object_id")) == [("training", training_id)]
