"""The provider's API keys page: the members see the list, the administrators create a key
(shown once, on the answer to its creation) and revoke one after confirming; another
provider's keys are never found."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from cpf.core.models import AuditEvent
from cpf.providers.api_keys import authenticate_api_key, create_api_key
from cpf.providers.models import ProviderApiKey
from tests.accounts.factories import provider_member
from tests.clock import NOW
from tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    return ProviderFactory(legal_name="Formations du Rhône")


@pytest.fixture
def admin(provider):
    return provider_member(provider, "admin@organisme.example", is_admin=True)


@pytest.fixture
def key(provider, admin):
    return create_api_key(provider=provider, name="ERP", actor=admin, now=NOW)[0]


def keys_page(provider) -> str:
    return reverse("www:provider:api_keys", kwargs={"provider_id": provider.pk})


def revoke_page(key, provider=None) -> str:
    return reverse(
        "www:provider:api_key_revoke", kwargs={"provider_id": (provider or key.provider).pk, "key_id": key.pk}
    )


def text(response) -> str:
    return unescape(response.content.decode())


def rows() -> tuple:
    return (
        list(ProviderApiKey.objects.order_by("pk").values_list("pk", "revoked_at")),
        AuditEvent.objects.count(),
    )


def test_creating_a_key_shows_it_once(client, provider, admin):
    client.force_login(admin)

    response = client.post(keys_page(provider), {"name": "Logiciel de gestion"})

    html = text(response)
    created = ProviderApiKey.objects.get()
    raw = html.split('data-testid="raw-key">')[1].split("<")[0]
    assert response.status_code == 200
    assert "elle ne sera plus jamais affichée" in html
    assert authenticate_api_key(raw, now=NOW) == created
    assert (created.name, created.created_by) == ("Logiciel de gestion", admin)
    # never again
    assert raw not in text(client.get(keys_page(provider)))
    assert f"{created.prefix}_…" in text(client.get(keys_page(provider)))


def test_a_key_without_a_name_is_refused_on_its_field(client, provider, admin):
    client.force_login(admin)

    response = client.post(keys_page(provider), {"name": "  "})

    assert response.status_code == 200
    assert 'href="#id_name"' in text(response)
    assert "Donnez un nom à la clé." in text(response)
    assert rows() == ([], 0)


def test_a_plain_member_sees_the_keys_but_may_not_create_or_revoke(client, provider, key):
    client.force_login(provider_member(provider, "membre@organisme.example"))
    before = rows()

    listing = text(client.get(keys_page(provider)))

    assert "ERP" in listing and "Créer la clé" not in listing and "Révoquer" not in listing
    assert client.post(keys_page(provider), {"name": "Pirate"}).status_code == 403
    assert client.get(revoke_page(key)).status_code == 403
    assert client.post(revoke_page(key)).status_code == 403
    assert rows() == before


def test_revoking_asks_for_confirmation_then_revokes(client, provider, admin, key):
    client.force_login(admin)

    confirmation = client.get(revoke_page(key))
    assert confirmation.status_code == 200
    assert "cessera de fonctionner aussitôt" in text(confirmation)
    assert ProviderApiKey.objects.get().revoked_at is None

    response = client.post(revoke_page(key))

    assert (response.status_code, response["Location"]) == (302, keys_page(provider))
    revoked = ProviderApiKey.objects.get()
    assert (revoked.revoked_by, revoked.revoked_at is not None) == (admin, True)
    listing = text(client.get(keys_page(provider)))
    assert "La clé « ERP » est révoquée" in listing and "Révoquée le 27/11/2026" in listing


def test_revoking_twice_says_so_and_changes_nothing(client, provider, admin, key):
    client.force_login(admin)
    client.post(revoke_page(key))
    before = rows()

    response = client.post(revoke_page(key))

    assert response.status_code == 302
    assert "Cette clé est déjà révoquée." in text(client.get(keys_page(provider)))
    assert rows() == before


def test_another_providers_keys_are_never_found(client, provider, key):
    other = ProviderFactory(legal_name="Autre organisme")
    client.force_login(provider_member(other, "admin@autre.example", is_admin=True))
    before = rows()

    assert client.get(keys_page(provider)).status_code == 404
    assert client.post(keys_page(provider), {"name": "Pirate"}).status_code == 404
    assert client.post(revoke_page(key)).status_code == 404
    assert client.get(revoke_page(key, other)).status_code == 404
    assert client.post(revoke_page(key, other)).status_code == 404
    assert "ERP" not in text(client.get(keys_page(other)))
    assert rows() == before


def test_anonymous_visitors_are_sent_to_the_members_login(client, provider, key):
    before = rows()

    for url in (keys_page(provider), revoke_page(key)):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, f"/espace-pro/connexion/?next={url}")
    assert client.post(revoke_page(key)).status_code == 302
    assert rows() == before
