"""Providers' documents (rule 24): accepted by their content only (PDF that parses, PNG, JPEG),
within the size limit; read only by the provider's members and the operator's agents, through
views that check who asks (never at a public address)."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse

from config.settings.base import documents_storage as documents_storage_settings
from cpf.accounts.enums import AgentRole, UserKind
from cpf.providers.documents import (
    DocumentRefused,
    check_upload,
    content_type_of,
    files_removed_on_failure,
    store_document,
)
from cpf.providers.enums import DocumentKind
from cpf.providers.models import ProviderDocument, document_storage
from cpf.providers.onboarding import sign_up_provider
from tests.accounts.factories import log_in_to_back_office, member, provider_member
from tests.accounts.support import agent_with_roles
from tests.clock import NOW, TODAY
from tests.providers.onboarding_support import (
    administrator,
    application,
    checked,
    pdf_bytes,
    png_bytes,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (pdf_bytes(), "application/pdf"),
        (pdf_bytes(pages=3), "application/pdf"),
        (png_bytes(), "image/png"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image/jpeg"),
        (b"%PDF-1.7\nthis is not a PDF at all\n%%EOF\n", None),  # the header and trailer alone
        (pdf_bytes()[: len(pdf_bytes()) // 2], None),  # truncated: no %%EOF
        (pdf_bytes().replace(b"/Type /Pages", b"/Type /Nopes"), None),  # no page tree
        (b"MZ\x90\x00" + b"\x00" * 64, None),  # a Windows program named .pdf
        (b"<html><script>alert(1)</script></html>", None),
        (b"GIF89a" + b"\x00" * 32, None),
    ],
    ids=[
        "pdf",
        "pdf-3-pages",
        "png",
        "jpeg",
        "fake-pdf",
        "truncated-pdf",
        "broken-pdf",
        "exe",
        "html",
        "gif",
    ],
)
def test_a_document_is_what_its_content_says_whatever_its_name(content, expected):
    assert content_type_of(content) == expected


def test_a_fake_pdf_is_refused_with_a_french_message():
    with pytest.raises(DocumentRefused) as refused:
        check_upload(upload("qualiopi.pdf", b"%PDF-1.4\n" + b"A" * 500 + b"\n%%EOF"))

    assert refused.value.messages == [
        "Déposez un fichier PDF, PNG ou JPEG lisible : ce fichier n'en est pas un."
    ]


@override_settings(DOCUMENT_MAX_BYTES=1024)
def test_a_file_over_the_limit_is_refused_and_one_at_the_limit_accepted():
    at_limit = b"\xff\xd8\xff" + b"\x00" * 1021

    assert check_upload(upload("scan.jpg", at_limit)).content_type == "image/jpeg"
    with pytest.raises(DocumentRefused) as refused:
        check_upload(upload("scan.jpg", at_limit + b"\x00"))
    assert [p.code for p in refused.value.problems] == ["document_too_large"]


def test_an_empty_file_is_refused():
    with pytest.raises(DocumentRefused) as refused:
        check_upload(upload("vide.pdf", b""))
    assert [p.code for p in refused.value.problems] == ["document_empty"]


# Who reads a document ------------------------------------------------------------------


@pytest.fixture
def two_providers():
    first = sign_up_provider(
        application=application(), now=NOW, administrator=administrator("a@premier.example")
    )
    second = sign_up_provider(
        application=application(legal_name="Second"), now=NOW, administrator=administrator("b@second.example")
    )
    return first.provider, second.provider


def document_url(provider, document) -> str:
    return reverse("www:provider:document", kwargs={"provider_id": provider.pk, "document_id": document.pk})


def test_a_member_reads_their_providers_document(client, two_providers):
    first, _ = two_providers
    document = first.documents.get(kind="kbis")
    client.force_login(provider_member(first, "membre@premier.example"))

    response = client.get(document_url(first, document))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="kbis.png"'
    assert response["Cache-Control"] == "private, no-store"


def test_a_member_of_another_provider_finds_no_document_either_way(client, two_providers):
    first, second = two_providers
    document = first.documents.get(kind="kbis")
    client.force_login(second.memberships.get().user)

    # through their own provider's address, and through the other provider's
    assert client.get(document_url(second, document)).status_code == 404
    assert client.get(document_url(first, document)).status_code == 404


def test_anonymous_visitors_and_funders_cannot_read_a_document(client, two_providers):
    first, _ = two_providers
    url = document_url(first, first.documents.get(kind="kbis"))

    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("www:members:login"))

    client.force_login(member(UserKind.FUNDER_MEMBER, "financeur@exemple.fr"))
    assert client.get(url).status_code == 403


def test_a_deactivated_member_no_longer_reads_the_documents(client, two_providers):
    first, _ = two_providers
    user = provider_member(first, "parti@premier.example")
    user.provider_memberships.update(is_active=False, deactivated_at=NOW)
    client.force_login(user)

    assert client.get(document_url(first, first.documents.get(kind="kbis"))).status_code == 404


@pytest.mark.parametrize("role", [AgentRole.QUALITY, AgentRole.FRAUD, AgentRole.PAYMENTS])
def test_agents_read_documents_in_the_back_office(client, two_providers, role):
    first, _ = two_providers
    document = first.documents.get(kind="qualiopi")
    log_in_to_back_office(client, agent_with_roles(f"agent-{role}", role))

    response = client.get(reverse("admin:providers_providerdocument_file", args=[document.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_an_agent_without_a_role_reading_documents_is_refused(client, two_providers):
    first, _ = two_providers
    document = first.documents.get(kind="qualiopi")
    log_in_to_back_office(client, agent_with_roles("support", AgentRole.SUPPORT))

    assert client.get(reverse("admin:providers_providerdocument_file", args=[document.pk])).status_code == 403


def test_the_documents_have_no_public_address(two_providers):
    first, _ = two_providers
    document = first.documents.get(kind="qualiopi")

    with pytest.raises(ValueError):
        document.file.url  # noqa: B018  the storage has no base URL: nothing serves it


def test_a_file_written_by_a_transaction_that_fails_is_deleted(two_providers):
    first, _ = two_providers
    written = []

    with pytest.raises(RuntimeError), files_removed_on_failure(), transaction.atomic():
        document = store_document(
            provider=first,
            kind=DocumentKind.KBIS,
            checked=checked("kbis.pdf"),
            issued_on=TODAY,
            actor=None,
            now=NOW,
        )
        written.append(document.file.name)
        assert document.file.storage.exists(document.file.name)
        raise RuntimeError("something failed after the file was written")

    assert not document_storage().exists(written[0])
    assert not ProviderDocument.objects.filter(file=written[0]).exists()


def test_the_documents_storage_is_a_private_folder_unless_a_bucket_is_named():
    assert documents_storage_settings({})["BACKEND"] == "cpf.core.storage.PrivateFileSystemStorage"
    s3 = documents_storage_settings(
        {"DOCUMENTS_S3_BUCKET": "cpf-documents", "DOCUMENTS_S3_ENDPOINT_URL": "https://s3.example"}
    )
    assert (s3["BACKEND"], s3["OPTIONS"]["bucket_name"], s3["OPTIONS"]["endpoint_url"]) == (
        "storages.backends.s3.S3Storage",
        "cpf-documents",
        "https://s3.example",
    )
    assert (s3["OPTIONS"]["default_acl"], s3["OPTIONS"]["file_overwrite"]) == ("private", False)
