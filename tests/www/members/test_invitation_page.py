"""The page an invitation's link opens (/espace-pro/invitation/<token>/): a new person creates
their login and joins, a person with a login logs in and accepts, anyone else is told why."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from cpf.accounts import services
from cpf.accounts.enums import UserKind
from cpf.accounts.models import FunderMembership, Invitation, ProviderMembership, User
from cpf.core.models import AuditEvent
from cpf.holders.models import TermsVersion
from tests.accounts.conftest import make_organisation
from tests.accounts.factories import PASSWORD, member, member_of
from tests.clock import NOW
from tests.holders.factories import holder_with_login

pytestmark = pytest.mark.django_db

INVITED = "recrue@organisme.example"
NEW_LOGIN = {
    "first_name": "Inès",
    "last_name": "Durand",
    "password1": "Lumiere2026x",
    "password2": "Lumiere2026x",
}


@pytest.fixture(params=["provider", "funder"])
def kind(request) -> str:
    return request.param


@pytest.fixture
def organisation(kind):
    return make_organisation(kind)


@pytest.fixture
def link(organisation, deliver_emails) -> str:
    """The link of an invitation sent now by the organisation's administrator."""
    admin = member_of(organisation, "admin@organisme.example", is_admin=True)
    services.invite_member(
        organisation=organisation,
        email=INVITED,
        as_admin=False,
        invited_by=admin,
        now=NOW,
        site_url="http://testserver/",
    )
    deliver_emails()
    return re.search(r"http://testserver(/espace-pro/invitation/[\w-]+/)", mail.outbox[-1].body).group(1)


def space_page(kind, organisation) -> str:
    if kind == "provider":
        return reverse("www:provider:provider", kwargs={"provider_id": organisation.pk})
    return reverse("www:funder:funder", kwargs={"funder_id": organisation.pk})


def member_kind(kind) -> UserKind:
    return UserKind.PROVIDER_MEMBER if kind == "provider" else UserKind.FUNDER_MEMBER


def state():
    return (
        list(User.objects.order_by("pk").values()),
        list(ProviderMembership.objects.order_by("pk").values()),
        list(FunderMembership.objects.order_by("pk").values()),
        list(Invitation.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


def test_a_link_that_does_not_work_says_so(client):
    response = client.get(reverse("www:members:invitation", kwargs={"token": "inconnu"}))

    assert response.status_code == 404
    assert "Ce lien d&#x27;invitation n&#x27;est plus valable" in response.content.decode()


def test_a_new_person_sees_the_invitation_and_the_form(client, organisation, link):
    content = client.get(link).content.decode()

    name = getattr(organisation, "legal_name", None) or organisation.name
    assert f"<h1>Rejoindre {name}</h1>" in content
    assert f"<strong>{INVITED}</strong>" in content
    assert 'autocomplete="new-password"' in content
    assert "Créer mon accès et rejoindre" in content


def test_a_new_person_creates_their_login_joins_and_is_logged_in(client, kind, organisation, link):
    response = client.post(link, NEW_LOGIN, follow=True)

    user = User.objects.get(email=INVITED)
    assert response.redirect_chain == [(space_page(kind, organisation), 302)]
    assert client.session[SESSION_KEY] == str(user.pk)
    assert (user.kind, user.first_name, user.email_confirmed) == (member_kind(kind), "Inès", True)
    assert "Bienvenue : vous êtes maintenant membre de" in response.content.decode()
    assert client.get(link).status_code == 404  # the link served once


def test_mismatched_or_weak_passwords_are_explained_and_change_nothing(client, link):
    before = state()

    mismatched = client.post(link, NEW_LOGIN | {"password2": "Autre2026x"})
    weak = client.post(link, NEW_LOGIN | {"password1": "court", "password2": "court"})

    assert "Les deux mots de passe ne sont pas identiques." in mismatched.content.decode()
    assert "au moins 8 caractères" in weak.content.decode()
    assert state() == before
    assert SESSION_KEY not in client.session


def test_a_person_with_a_login_is_asked_to_log_in_then_accepts(client, kind, organisation, link):
    person = member(member_kind(kind), INVITED.upper())
    before = state()

    page = client.get(link)
    ignored = client.post(link, NEW_LOGIN)

    content = page.content.decode()
    assert "Un accès à l&#x27;espace professionnel existe déjà avec cette adresse" in content
    assert f"{reverse('www:members:login')}?next={link}" in content
    assert ignored.status_code == 200 and state() == before

    client.post(
        f"{reverse('www:members:login')}?next={link}", {"email": INVITED, "password": PASSWORD, "next": link}
    )
    assert "Accepter l'invitation" in client.get(link).content.decode()
    response = client.post(link)

    assert response["Location"] == space_page(kind, organisation)
    membership = (ProviderMembership if kind == "provider" else FunderMembership).objects.get(user=person)
    assert membership.is_active and not membership.is_admin


def test_an_address_used_by_a_holder_is_refused(client, link):
    holder_with_login(email=INVITED, accepted=TermsVersion.objects.order_by("-in_force_from").first())
    before = state()

    page = client.get(link)
    client.post(link, NEW_LOGIN)

    content = page.content.decode()
    assert "déjà utilisée par un autre type de compte (titulaire)" in content
    assert "Créer mon accès" not in content
    assert state() == before


def test_a_person_logged_in_with_another_address_cannot_accept(client, kind, link):
    client.force_login(member(member_kind(kind), "autre@organisme.example"))
    before = state()

    page = client.get(link)
    refused = client.post(link)

    assert f"Cette invitation a été envoyée à {INVITED}" in page.content.decode()
    assert refused.status_code == 403
    assert state() == before


def test_a_holder_logged_in_cannot_accept(client, link):
    holder = holder_with_login(accepted=TermsVersion.objects.order_by("-in_force_from").first())
    client.force_login(holder.user)
    before = state()

    response = client.post(link)

    assert response.status_code == 403
    assert f"Cette invitation a été envoyée à {INVITED}" in response.content.decode()
    assert state() == before
