"""The provider's webhook settings: for its administrators only; an https address (a local http
one in development and tests); a secret shown once and kept encrypted; the delivery log; and
the events queued in the transaction of the file's change, or not at all."""

from __future__ import annotations

from html import unescape

import pytest
from django.db import connection, transaction
from django.urls import reverse

from cpf.core import crypto
from cpf.core.models import AuditEvent
from cpf.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from cpf.webhooks.services import WebhookRefused, check_url, generate_webhook_secret, set_webhook_url
from tests.accounts.factories import provider_member
from tests.clock import NOW
from tests.factories import ProviderFactory
from tests.providers.files import a_holder, administrator, file_of, validated

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    return ProviderFactory()


@pytest.fixture
def admin(client, provider):
    user = administrator(provider)
    client.force_login(user)
    return user


def page(provider) -> str:
    return reverse("www:provider:webhook", kwargs={"provider_id": provider.pk})


def secret_page(provider) -> str:
    return reverse("www:provider:webhook_secret", kwargs={"provider_id": provider.pk})


def text(response) -> str:
    return unescape(response.content.decode())


def endpoint_rows() -> list:
    return list(WebhookEndpoint.objects.values_list("url", "secret_sealed"))


def test_an_administrator_sets_an_https_address(client, admin, provider):
    response = client.post(page(provider), {"url": "https://gestion.example.fr/cpf"})

    assert response.status_code == 302
    assert WebhookEndpoint.objects.get(provider=provider).url == "https://gestion.example.fr/cpf"
    assert AuditEvent.objects.filter(event="webhook.url_changed").count() == 1


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://gestion.example.fr/cpf", "L'adresse doit commencer par https://"),
        ("ftp://gestion.example.fr", "Saisissez une adresse web complète"),
        ("pas une adresse", "Saisissez une adresse web complète"),
        ("https://moi:secret@gestion.example.fr/", "L'adresse ne doit pas contenir d'identifiant"),
    ],
)
def test_a_bad_address_is_refused_in_french_and_changes_nothing(client, admin, provider, url, message):
    response = client.post(page(provider), {"url": url})

    assert response.status_code == 200
    assert message in text(response)
    assert endpoint_rows() == []


def test_local_http_is_accepted_only_where_the_setting_allows_it(settings):
    assert check_url("http://127.0.0.1:8765/hook") == "http://127.0.0.1:8765/hook"
    settings.PROVIDER_WEBHOOKS_ALLOW_LOCAL_HTTP = False
    with pytest.raises(WebhookRefused):
        check_url("http://127.0.0.1:8765/hook")
    with pytest.raises(WebhookRefused):
        check_url("http://localhost/hook")


def test_the_secret_is_shown_once_and_kept_encrypted(client, admin, provider):
    response = client.post(secret_page(provider))

    html = text(response)
    shown = html.split('data-testid="secret">')[1].split("<")[0]
    assert shown.startswith("whsec_") and len(shown) > 40
    sealed = WebhookEndpoint.objects.get(provider=provider).secret_sealed
    assert shown not in sealed and crypto.decrypt(sealed) == shown
    assert shown not in text(client.get(page(provider)))

    again = text(client.post(secret_page(provider))).split('data-testid="secret">')[1].split("<")[0]
    assert again != shown
    assert crypto.decrypt(WebhookEndpoint.objects.get(provider=provider).secret_sealed) == again


def test_a_plain_member_may_not_see_nor_change_the_webhook(client, provider):
    client.force_login(provider_member(provider, "membre@organisme.example"))

    assert client.get(page(provider)).status_code == 403
    assert client.post(page(provider), {"url": "https://x.example.fr/"}).status_code == 403
    assert client.post(secret_page(provider)).status_code == 403
    assert endpoint_rows() == []


def test_an_administrator_of_another_provider_sees_nothing_of_it(client, provider, terms):
    owner = administrator(provider)
    set_webhook_url(provider=provider, url="https://a.example.fr/", actor=owner, now=NOW)
    generate_webhook_secret(provider=provider, actor=owner, now=NOW)
    file_of(provider, a_holder(terms))
    client.force_login(administrator(ProviderFactory(), "admin@autre.example"))
    before = endpoint_rows()

    assert client.get(page(provider)).status_code == 404
    assert client.post(page(provider), {"url": "https://b.example.fr/"}).status_code == 404
    assert client.post(secret_page(provider)).status_code == 404
    assert endpoint_rows() == before


def test_the_log_lists_each_attempt_with_its_answer(client, admin, provider, terms):
    set_webhook_url(provider=provider, url="https://a.example.fr/", actor=admin, now=NOW)
    generate_webhook_secret(provider=provider, actor=admin, now=NOW)
    registration = file_of(provider, a_holder(terms))
    delivery = WebhookDelivery.objects.get()
    WebhookAttempt.objects.create(delivery=delivery, number=1, at=NOW, status_code=503, duration_ms=12)
    WebhookAttempt.objects.create(delivery=delivery, number=2, at=NOW, status_code=200, duration_ms=9)

    html = text(client.get(page(provider)))

    assert "Les 2 dernières tentatives d'envoi" in html
    assert "registration.requested" in html and f"N° {registration.pk}" in html
    assert ">503<" in html and ">200<" in html


def jobs() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'webhooks.deliver_file_event'"
        )
        return cursor.fetchone()[0]


def test_an_event_is_queued_with_the_change_and_not_when_it_is_rolled_back(provider, terms):
    owner = administrator(provider)
    set_webhook_url(provider=provider, url="https://a.example.fr/", actor=owner, now=NOW)
    generate_webhook_secret(provider=provider, actor=owner, now=NOW)
    registration = file_of(provider, a_holder(terms))
    assert (WebhookDelivery.objects.count(), jobs()) == (1, 1)

    with pytest.raises(RuntimeError), transaction.atomic():
        validated(registration)
        assert (WebhookDelivery.objects.count(), jobs()) == (2, 2)
        raise RuntimeError("the change fails after its step")

    assert (WebhookDelivery.objects.count(), jobs()) == (1, 1)
    validated(registration)
    last = WebhookDelivery.objects.order_by("-id").first()
    assert (
        last.payload["data"]["to_status"] == "validated"
        and last.payload["type"] == "registration.status_changed"
    )


def test_the_providers_menu_links_the_files_to_every_member_and_the_webhook_to_administrators(
    client, provider
):
    home = reverse("www:provider:provider", kwargs={"provider_id": provider.pk})
    client.force_login(provider_member(provider, "membre@organisme.example"))
    member_html = text(client.get(home))
    client.force_login(administrator(provider))
    admin_html = text(client.get(home))

    files = reverse("www:provider:registrations", kwargs={"provider_id": provider.pk})
    assert f'href="{files}" id="menu-registrations">Dossiers</a>' in member_html
    assert 'id="menu-statement"' in member_html
    assert 'id="menu-webhook"' not in member_html
    assert f'href="{page(provider)}" id="menu-webhook"' in admin_html
