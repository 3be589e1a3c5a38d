"""The holders' back-office: NIR masked everywhere, found by typing it (through its hash)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.holders.factories import (
    NIR,
    OTHER_NIR,
    HolderFactory,
    TermsVersionFactory,
    holder_with_login,
    spaced,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:holders_holder_changelist")


def test_the_list_shows_the_nir_masked(admin_client):
    HolderFactory(nir=NIR)

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert "1 85 05 •• ••• ••• 91" in response.text
    assert NIR not in response.text


@pytest.mark.parametrize("typed", [NIR, spaced(NIR)])
def test_an_agent_finds_a_holder_by_typing_the_nir(admin_client, typed):
    wanted = HolderFactory(nir=NIR)
    HolderFactory(nir=OTHER_NIR)

    response = admin_client.get(CHANGELIST, {"q": typed})

    assert [holder.pk for holder in response.context["cl"].result_list] == [wanted.pk]


def test_other_searches_look_at_names_and_addresses(admin_client):
    terms = TermsVersionFactory()
    wanted = holder_with_login(accepted=terms)
    HolderFactory(nir=OTHER_NIR)

    by_name = admin_client.get(CHANGELIST, {"q": "martin"})
    by_email = admin_client.get(CHANGELIST, {"q": "camille.martin@"})

    assert [h.pk for h in by_name.context["cl"].result_list] == [wanted.pk]
    assert [h.pk for h in by_email.context["cl"].result_list] == [wanted.pk]


def test_the_change_page_shows_the_nir_masked_and_read_only(admin_client):
    holder = HolderFactory(nir=NIR)

    response = admin_client.get(reverse("admin:holders_holder_change", args=[holder.pk]))

    assert response.status_code == 200
    assert "1 85 05 •• ••• ••• 91" in response.text
    assert NIR not in response.text
    assert 'name="nir' not in response.text


def test_accounts_are_never_added_or_deleted_by_hand(admin_client):
    holder = HolderFactory(nir=NIR)

    assert admin_client.get(reverse("admin:holders_holder_add")).status_code == 403
    assert admin_client.get(reverse("admin:holders_holder_delete", args=[holder.pk])).status_code == 403


@pytest.mark.parametrize("name", ["holders_holder", "holders_termsversion", "holders_apitoken"])
def test_every_holders_changelist_opens_for_agents_only(admin_client, client, django_user_model, name):
    terms = TermsVersionFactory()
    holder = holder_with_login(accepted=terms)
    url = reverse(f"admin:{name}_changelist")

    client.force_login(holder.user)

    assert admin_client.get(url).status_code == 200
    assert client.get(url).status_code == 302


def test_a_published_version_of_the_terms_is_read_only(admin_client):
    terms = TermsVersionFactory()

    response = admin_client.get(reverse("admin:holders_termsversion_change", args=[terms.pk]))

    assert 'name="text"' not in response.text
    assert "Texte des conditions de test." in response.text
