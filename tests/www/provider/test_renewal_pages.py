"""The pages of a provider's renewed documents (rule 24): its administrators send a renewed
Qualiopi certificate or a new Kbis with real uploads, checked as at the application; its
members read what was sent and its check; the offers unpublished at the certificate's expiry
are listed, to be republished by the provider once the new certificate is accepted. In the
back-office, the documents to check, accepted or refused by a quality agent."""

from __future__ import annotations

import datetime
from html import unescape

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from cpf.accounts.enums import AgentRole
from cpf.catalogue.enums import PublicationStatus
from cpf.providers.enums import DocumentCheckStatus, RenewableKind
from cpf.providers.models import DocumentRenewal, ProviderDocument
from cpf.providers.qualiopi import unpublish_offers_of_expired_certificates
from cpf.providers.renewals import submit_document_renewal
from tests.accounts.factories import log_in_to_back_office, provider_member
from tests.accounts.support import agent_with_roles
from tests.clock import NOW, TODAY
from tests.factories import ProviderFactory, SessionFactory
from tests.providers.onboarding_support import checked, pdf_bytes, png_bytes, upload
from tests.www.tables import stacked_labels

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

DAY = datetime.timedelta(days=1)
NEW_END = TODAY + 1000 * DAY


@pytest.fixture
def provider():
    return ProviderFactory(
        legal_name="Institut Lumière", email="contact@lumiere.example", qualiopi_valid_until=TODAY + 20 * DAY
    )


@pytest.fixture
def admin(provider):
    return provider_member(provider, "admin@lumiere.example", is_admin=True)


def url(provider, kind: str = "qualiopi") -> str:
    return reverse("www:provider:document_renewal", kwargs={"provider_id": provider.pk, "kind": kind})


def qualiopi_data(**changes) -> dict:
    return {
        "qualiopi_number": "QUALIOPI-2029-1",
        "qualiopi_valid_until": NEW_END.isoformat(),
        "qualiopi_file": upload("nouveau-qualiopi.pdf"),
        **changes,
    }


def text(response) -> str:
    return unescape(response.content.decode())


def sent(provider, admin) -> DocumentRenewal:
    return submit_document_renewal(
        provider=provider,
        kind=RenewableKind.QUALIOPI,
        document=checked("nouveau-qualiopi.pdf"),
        qualiopi_number="QUALIOPI-2029-1",
        valid_until=NEW_END,
        actor=admin,
        now=NOW,
    )


# The provider's pages --------------------------------------------------------------------------


def test_an_administrator_sends_the_renewed_certificate_and_reads_that_it_awaits(client, provider, admin):
    client.force_login(admin)

    response = client.post(url(provider), qualiopi_data())

    assert (response.status_code, response["Location"]) == (302, url(provider))
    renewal = DocumentRenewal.objects.get()
    assert (renewal.provider, renewal.qualiopi_number, renewal.document.valid_until) == (
        provider,
        "QUALIOPI-2029-1",
        NEW_END,
    )
    page = text(client.get(url(provider)))
    assert "Votre document est envoyé." in page
    assert (
        f"N° {provider.qualiopi_number}, valable jusqu'au {provider.qualiopi_valid_until:%d/%m/%Y}." in page
    )
    assert f"n° QUALIOPI-2029-1, jusqu'au {NEW_END:%d/%m/%Y}" in page
    assert "En attente de vérification" in page
    assert "nouveau-qualiopi.pdf" in page
    assert stacked_labels(page, "renewals") == (
        ["Envoyé", "Détail", "Fichier", "État"],
        [["Détail", "Fichier", "État"]],
    )


def test_an_administrator_sends_a_new_kbis(client, provider, admin):
    client.force_login(admin)

    response = client.post(
        url(provider, "kbis"),
        {
            "kbis_issued_on": (TODAY - 3 * DAY).isoformat(),
            "kbis_file": upload("kbis.png", png_bytes(), "image/png"),
        },
    )

    assert response.status_code == 302
    assert DocumentRenewal.objects.get().document.issued_on == TODAY - 3 * DAY


def test_a_member_reads_the_page_but_only_administrators_send(client, provider, admin):
    sent(provider, admin)
    member = provider_member(provider, "membre@lumiere.example")
    client.force_login(member)

    page = text(client.get(url(provider)))
    refused = client.post(url(provider), qualiopi_data())

    assert "Seuls les administrateurs de l'organisme envoient ses documents renouvelés." in page
    assert 'enctype="multipart/form-data"' not in page
    assert "En attente de vérification" in page
    assert refused.status_code == 403
    assert (DocumentRenewal.objects.count(), ProviderDocument.objects.count()) == (1, 1)


def test_another_providers_administrator_cannot_reach_the_page(client, provider):
    client.force_login(provider_member(ProviderFactory(), "admin@autre.example", is_admin=True))

    assert client.get(url(provider)).status_code == 404
    assert client.post(url(provider), qualiopi_data()).status_code == 404
    assert DocumentRenewal.objects.count() == 0


def test_an_unknown_kind_of_document_is_not_found(client, provider, admin):
    client.force_login(admin)

    assert client.get(url(provider, "rib")).status_code == 404


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"qualiopi_file": upload("certificat.pdf", b"%PDF-1.4 faux\n%%EOF")},
            "qualiopi_file",
            "Déposez un fichier PDF, PNG ou JPEG lisible : ce fichier n'en est pas un.",
        ),
        (
            {"qualiopi_file": upload("certificat.pdf", b"MZ\x90\x00 un programme", "application/pdf")},
            "qualiopi_file",
            "Déposez un fichier PDF, PNG ou JPEG lisible : ce fichier n'en est pas un.",
        ),
        ({"qualiopi_file": upload("vide.pdf", b"")}, "qualiopi_file", "Le fichier est vide."),
        (
            {"qualiopi_valid_until": TODAY.isoformat()},
            "qualiopi_valid_until",
            "Le certificat Qualiopi doit être valide : sa date de fin est passée.",
        ),
        ({"qualiopi_valid_until": "31/02/2029"}, "qualiopi_valid_until", "Saisissez une date valide"),
        ({"qualiopi_number": ""}, "qualiopi_number", "obligatoire"),
    ],
    ids=["fake-pdf", "program", "empty", "ended", "bad-date", "no-number"],
)
def test_a_bad_file_or_detail_is_shown_on_its_field_and_stores_nothing(
    client, provider, admin, changes, field, message
):
    client.force_login(admin)

    response = client.post(url(provider), qualiopi_data(**changes))

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert 'id="error-summary"' in text(response)
    assert (DocumentRenewal.objects.count(), ProviderDocument.objects.count()) == (0, 0)


@override_settings(DOCUMENT_MAX_BYTES=1024)
def test_a_file_over_the_size_limit_is_refused(client, provider, admin):
    client.force_login(admin)
    big = pdf_bytes(pages=20)
    assert len(big) > 1024

    response = client.post(url(provider), qualiopi_data(qualiopi_file=upload("gros.pdf", big)))

    assert response.context["form"].errors["qualiopi_file"] == ["Le fichier dépasse 0 Mo."]
    assert ProviderDocument.objects.count() == 0


def test_a_kbis_older_than_3_months_is_refused_on_its_field(client, provider, admin):
    client.force_login(admin)

    response = client.post(
        url(provider, "kbis"),
        {"kbis_issued_on": (TODAY - 120 * DAY).isoformat(), "kbis_file": upload("kbis.pdf")},
    )

    assert response.context["form"].errors["kbis_issued_on"] == [
        "L'extrait Kbis doit dater de moins de 3 mois."
    ]
    assert ProviderDocument.objects.count() == 0


def test_the_offers_unpublished_at_the_expiry_are_listed_to_be_republished_once_accepted(
    client, provider, admin
):
    provider.qualiopi_valid_until = TODAY - DAY
    provider.save()
    training = SessionFactory(
        action__training__provider=provider,
        action__training__published=True,
        action__training__title="Anglais",
    ).action.training
    unpublish_offers_of_expired_certificates(today=TODAY, now=NOW)
    client.force_login(admin)

    page = text(client.get(url(provider)))

    assert f"Ce certificat a pris fin le {TODAY - DAY:%d/%m/%Y}" in page
    assert "ne sont pas republiées automatiquement" in page
    assert "une fois le nouveau certificat accepté par nos agents" in page
    assert reverse("www:provider:offer", args=[provider.pk, training.pk]) in page
    training.refresh_from_db()
    assert training.status == PublicationStatus.UNPUBLISHED


def test_the_documents_page_leads_to_the_renewals_and_shows_their_check(client, provider, admin):
    renewal = sent(provider, admin)
    client.force_login(admin)

    page = text(client.get(reverse("www:provider:documents", kwargs={"provider_id": provider.pk})))

    assert url(provider) in page and url(provider, "kbis") in page
    assert f'id="document-{renewal.document_id}"' in page
    assert "En attente de vérification" in page
    assert 'class="fr-table cf-stacked"' in page


def test_the_provider_page_invites_to_renew_a_certificate_that_ends_soon(client, provider, admin):
    client.force_login(admin)

    page = text(client.get(reverse("www:provider:provider", kwargs={"provider_id": provider.pk})))

    assert f"Votre certificat Qualiopi prend fin le {provider.qualiopi_valid_until:%d/%m/%Y}" in page
    assert url(provider) in page


def test_the_page_reads_a_bounded_number_of_queries(client, provider, admin, django_assert_max_num_queries):
    for _ in range(3):
        sent(provider, admin)
    client.force_login(admin)
    client.get(url(provider))

    with django_assert_max_num_queries(10):
        assert client.get(url(provider)).status_code == 200


# The back-office -------------------------------------------------------------------------------


def test_a_quality_agent_accepts_a_certificate_from_the_documents_to_check(
    client, provider, admin, deliver_emails
):
    renewal = sent(provider, admin)
    log_in_to_back_office(client, agent_with_roles("qualite", AgentRole.QUALITY))
    listing = reverse("admin:providers_documentrenewal_changelist")

    page = text(client.get(listing, {"status__exact": "submitted"}))
    assert "Institut Lumière" in page and "n° QUALIOPI-2029-1" in page
    assert reverse("admin:providers_providerdocument_file", args=[renewal.document_id]) in page

    client.post(listing, {"action": "accept_document_renewal_action", "_selected_action": [renewal.pk]})

    renewal.refresh_from_db()
    provider.refresh_from_db()
    assert (renewal.status, provider.qualiopi_valid_until) == (DocumentCheckStatus.ACCEPTED, NEW_END)
    deliver_emails()
    assert mail.outbox[-1].subject == "Compte Formation : votre nouveau certificat Qualiopi est accepté"


def test_a_quality_agent_refuses_with_the_reason_the_provider_reads(client, provider, admin, deliver_emails):
    renewal = sent(provider, admin)
    log_in_to_back_office(client, agent_with_roles("qualite", AgentRole.QUALITY))
    listing = reverse("admin:providers_documentrenewal_changelist")
    chosen = {"action": "refuse_document_renewal_action", "_selected_action": [renewal.pk]}

    asked = client.post(listing, chosen)
    assert "Motif" in asked.text
    client.post(listing, {**chosen, "apply": "1", "reason": "Le certificat est illisible."})

    renewal.refresh_from_db()
    assert (renewal.status, renewal.refusal_reason) == (
        DocumentCheckStatus.REFUSED,
        "Le certificat est illisible.",
    )
    deliver_emails()
    assert "Le certificat est illisible." in mail.outbox[-1].body


def test_an_agent_without_the_role_cannot_decide_in_the_back_office(client, provider, admin):
    renewal = sent(provider, admin)
    before = provider.qualiopi_valid_until
    log_in_to_back_office(client, agent_with_roles("paiements", AgentRole.PAYMENTS))
    listing = reverse("admin:providers_documentrenewal_changelist")

    answered = client.post(
        listing, {"action": "accept_document_renewal_action", "_selected_action": [renewal.pk]}
    )

    assert answered.status_code == 403
    renewal.refresh_from_db()
    provider.refresh_from_db()
    assert (renewal.status, provider.qualiopi_valid_until) == (DocumentCheckStatus.SUBMITTED, before)
