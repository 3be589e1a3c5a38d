"""The providers' space (rules 24 and 26): who may enter, choosing the provider, its identity
and referencing status."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from cpf.accounts.enums import UserKind
from cpf.accounts.models import ProviderMembership
from cpf.holders.models import TermsVersion
from cpf.providers.enums import ProviderStatus
from cpf.rights import services as rights_services
from cpf.rights.enums import FunderKind
from tests.accounts.factories import NOW, agent, funder_member, member, provider_member
from tests.factories import ProviderFactory
from tests.holders.factories import holder_with_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    return ProviderFactory(legal_name="Formations du Rhône", contact_name="Léa Martin", phone="0472000000")


@pytest.fixture
def staff(client, provider):
    user = provider_member(provider)
    client.force_login(user)
    return user


def page(provider) -> str:
    return reverse("www:provider:provider", kwargs={"provider_id": provider.pk})


def test_anonymous_visitors_are_sent_to_the_members_login(client, provider):
    for url in (reverse("www:provider:home"), page(provider)):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, f"/espace-pro/connexion/?next={url}")


@pytest.mark.parametrize(
    "make_user",
    [
        pytest.param(
            lambda: holder_with_login(accepted=TermsVersion.objects.order_by("-in_force_from").first()).user,
            id="holder",
        ),
        pytest.param(lambda: agent(superuser=True), id="agent"),
        pytest.param(
            lambda: funder_member(rights_services.create_funder(kind=FunderKind.OPCO, name="OPCO Atlas")),
            id="funder member",
        ),
    ],
)
def test_a_logged_in_person_who_is_not_a_provider_member_is_refused(client, provider, make_user):
    client.force_login(make_user())

    assert client.get(reverse("www:provider:home")).status_code == 403
    assert client.get(page(provider)).status_code == 403


def test_a_member_lands_on_their_providers_page(client, staff, provider):
    assert client.get(reverse("www:provider:home"))["Location"] == page(provider)
    assert client.get(reverse("www:members:home"))["Location"] == reverse("www:provider:home")


def test_the_page_shows_the_identity_and_the_referencing_status(client, staff, provider):
    content = client.get(page(provider)).content.decode()

    assert "<h1>Formations du Rhône</h1>" in content
    assert f"<td>{provider.siret}</td>" in content
    assert f"<td>{provider.nda}</td>" in content
    assert f"{provider.qualiopi_number}, valable du 01/01/2024 jusqu'au 31/12/2027" in content
    assert "12 rue de la République, 69003 Lyon" in content
    assert "Léa Martin" in content and "0472000000" in content
    assert 'id="provider-status">Référencé</span>' in content
    details = provider.bank_details.get()
    assert f"{details.masked_iban} (vérifiées)" in content
    assert details.iban not in content
    assert reverse("www:provider:members", kwargs={"provider_id": provider.pk}) in content


def test_a_temporary_delisting_shows_its_end(client, staff, provider):
    provider.status = ProviderStatus.DELISTED
    provider.delisted_until = datetime.date(2027, 3, 31)
    provider.save()

    content = client.get(page(provider)).content.decode()

    assert 'id="provider-status">Déréférencé jusqu\'au 31/03/2027</span>' in content


def test_a_member_cannot_see_another_provider(client, staff):
    other = ProviderFactory()

    assert client.get(page(other)).status_code == 404


def test_a_member_without_a_provider_sees_how_to_get_one(client, provider):
    client.force_login(member(UserKind.PROVIDER_MEMBER, "seul@organisme.example"))

    assert "rattaché à aucun organisme" in client.get(reverse("www:provider:home")).content.decode()
    assert client.get(page(provider)).status_code == 404


def test_a_member_of_several_providers_chooses_and_comes_back_to_the_one_chosen(client, provider):
    other = ProviderFactory(legal_name="Autre organisme")
    user = provider_member(provider)
    ProviderMembership.objects.create(user=user, provider=other, joined_at=NOW, updated_at=NOW)
    client.force_login(user)

    content = client.get(reverse("www:provider:home")).content.decode()
    assert page(provider) in content and page(other) in content

    client.get(page(other))
    assert client.get(reverse("www:provider:home"))["Location"] == page(other)


def test_a_deactivated_membership_gives_no_access(client, staff, provider):
    ProviderMembership.objects.filter(user=staff).update(is_active=False, deactivated_at=NOW)

    assert client.get(page(provider)).status_code == 404


def test_the_provider_page_reads_a_bounded_number_of_queries(
    client, staff, provider, django_assert_max_num_queries
):
    client.get(page(provider))

    with django_assert_max_num_queries(7):  # with the latest bank details
        assert client.get(page(provider)).status_code == 200


def test_the_professional_entrance_sends_each_member_to_their_space(client, provider):
    funder = rights_services.create_funder(kind=FunderKind.OPCO, name="OPCO Atlas")
    for user, expected in (
        (provider_member(provider), "www:provider:home"),
        (funder_member(funder), "www:funder:home"),
    ):
        client.force_login(user)
        assert client.get(reverse("www:members:home"))["Location"] == reverse(expected)

    client.force_login(agent())
    assert client.get(reverse("www:members:home")).status_code == 403


def test_a_member_finds_the_professional_space_and_its_logout_in_the_header(client, staff, provider):
    content = client.get(page(provider)).content.decode()

    assert f'href="{reverse("www:members:home")}">Espace professionnel</a>' in content
    assert f'action="{reverse("www:members:logout")}"' in content
    assert reverse("www:holder:account") not in content
