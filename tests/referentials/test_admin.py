"""The referentials in the back-office: every table can be browsed and searched by code or
label, and nothing can be added, changed or deleted there."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from cpf.referentials.models import Certification, Commune, Job, JobTitle

pytestmark = pytest.mark.django_db

MODELS = [model for model in apps.get_app_config("referentials").get_models() if not model._meta.auto_created]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:referentials_{model._meta.model_name}_{view}", args=args)


def test_every_referential_model_is_registered_read_only():
    for model in MODELS:
        model_admin = admin.site._registry[model]
        assert (
            model.__name__,
            model_admin.has_add_permission(None),
            model_admin.has_change_permission(None),
            model_admin.has_delete_permission(None),
        ) == (model.__name__, False, False, False)


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_every_referential_list_opens_for_an_agent(admin_client, model):
    response = admin_client.get(admin_url(model, "changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("model", "query", "expected"),
    [
        (Commune, "75101", "Paris 1er Arrondissement"),
        (Commune, "garenne", "La Garenne-Colombes"),
        (Commune, "Clémenciat", "L&#x27;Abergement-Clémenciat"),
        (JobTitle, "developpeur web", "Développeur / Développeuse web"),
        (JobTitle, "14156", "Développeur / Développeuse web"),
        (Job, "M1805", "Développeur / Développeuse informatique"),
        (Certification, "RNCP34001", "Agent d&#x27;accueil des voyageurs"),
    ],
)
def test_a_referential_list_is_searched_by_code_or_label(admin_client, model, query, expected):
    response = admin_client.get(admin_url(model, "changelist"), {"q": query})

    assert response.status_code == 200
    assert expected in response.content.decode()


@pytest.mark.parametrize(
    ("model", "pk"),
    [(Job, "M1805"), (Certification, "RNCP34001")],
)
def test_a_referential_row_opens_as_a_read_only_page(admin_client, model, pk):
    response = admin_client.get(admin_url(model, "change", pk))

    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()


def test_a_referential_row_cannot_be_deleted_even_by_a_superuser(admin_client):
    response = admin_client.post(admin_url(Job, "delete", "M1805"), {"post": "yes"})

    assert response.status_code == 403
    assert Job.objects.filter(code="M1805").exists()
