"""A provider's renewed documents (rule 24): its administrators send a renewed Qualiopi
certificate or a new Kbis, checked as at the application and stored as a new document (the
former kept); a quality agent accepts it (the certificate becomes the provider's) or refuses it
with a reason, the provider told by e-mail either way. The offers unpublished when the former
certificate ended are republished by the provider, once the new one is accepted."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail

from cpf.accounts.enums import AgentRole
from cpf.catalogue.enums import PublicationStatus
from cpf.catalogue.services import NotPublishable, publish_training
from cpf.core.models import AuditEvent
from cpf.providers.documents import DocumentRefused
from cpf.providers.enums import DocumentCheckStatus, DocumentKind, ProviderStatus, RenewableKind
from cpf.providers.models import DocumentRenewal, ProviderDocument
from cpf.providers.qualiopi import unpublish_offers_of_expired_certificates, unpublished_at_expiry
from cpf.providers.renewals import (
    REPLACED,
    RenewalError,
    accept_document_renewal,
    refuse_document_renewal,
    submit_document_renewal,
)
from tests.accounts.factories import provider_member
from tests.accounts.support import agent_with_roles
from tests.clock import NOW, TODAY
from tests.factories import ProviderFactory, SessionFactory
from tests.providers.onboarding_support import checked, png_bytes

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
NEW_END = TODAY + 3 * 365 * DAY


@pytest.fixture
def quality():
    return agent_with_roles("qualite", AgentRole.QUALITY)


@pytest.fixture
def provider():
    return ProviderFactory(email="contact@institut.example", qualiopi_valid_until=TODAY + 20 * DAY)


@pytest.fixture
def admin(provider):
    return provider_member(provider, "admin@institut.example", is_admin=True)


def send_qualiopi(provider, actor, *, number="QUALIOPI-2027-9", valid_until=NEW_END, now=NOW, name="q.pdf"):
    return submit_document_renewal(
        provider=provider,
        kind=RenewableKind.QUALIOPI,
        document=checked(name),
        qualiopi_number=number,
        valid_until=valid_until,
        actor=actor,
        now=now,
    )


def send_kbis(provider, actor, *, issued_on=TODAY - 10 * DAY):
    return submit_document_renewal(
        provider=provider,
        kind=RenewableKind.KBIS,
        document=checked("kbis.png", png_bytes()),
        issued_on=issued_on,
        actor=actor,
        now=NOW,
    )


def qualiopi_of(provider) -> tuple:
    provider.refresh_from_db()
    return provider.qualiopi_number, provider.qualiopi_valid_from, provider.qualiopi_valid_until


def events(name: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event=name).order_by("pk"))


# Sending ---------------------------------------------------------------------------------------


def test_an_administrator_sends_a_renewed_certificate_kept_beside_the_former(provider, admin):
    former = ProviderDocument.objects.create(
        provider=provider,
        kind=DocumentKind.QUALIOPI,
        file="providers/ancien.pdf",
        original_name="ancien.pdf",
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
        valid_until=provider.qualiopi_valid_until,
        uploaded_at=NOW - 900 * DAY,
    )
    before = qualiopi_of(provider)

    renewal = send_qualiopi(provider, admin, number="  QUALIOPI-2027-9 ")

    assert (renewal.status, renewal.kind, renewal.qualiopi_number, renewal.submitted_by) == (
        DocumentCheckStatus.SUBMITTED,
        RenewableKind.QUALIOPI,
        "QUALIOPI-2027-9",
        admin,
    )
    document = renewal.document
    assert (document.kind, document.valid_until, document.issued_on, document.content_type) == (
        DocumentKind.QUALIOPI,
        NEW_END,
        None,
        "application/pdf",
    )
    assert list(provider.documents.order_by("uploaded_at").values_list("pk", flat=True)) == [
        former.pk,
        document.pk,
    ]
    # the certificate on record stays the one in force until an agent accepts the new one
    assert qualiopi_of(provider) == before
    [event] = events("provider.document_renewal_submitted")
    assert (event.actor, event.target_id, event.organisation_id) == (admin, str(renewal.pk), str(provider.pk))
    assert event.changes["valid_until"] == {"old": None, "new": NEW_END.isoformat()}
    assert event.changes["qualiopi_number"] == {"old": None, "new": "QUALIOPI-2027-9"}


def test_an_administrator_sends_a_new_kbis():
    provider = ProviderFactory()
    admin = provider_member(provider, "admin@institut.example", is_admin=True)

    renewal = send_kbis(provider, admin)

    assert (renewal.kind, renewal.qualiopi_number, renewal.document.issued_on) == (
        RenewableKind.KBIS,
        "",
        TODAY - 10 * DAY,
    )
    assert renewal.document.content_type == "image/png"


@pytest.mark.parametrize("who", ["member", "other_admin", "agent"])
def test_only_the_providers_administrators_send(provider, who, deliver_emails):
    actor = {
        "member": lambda: provider_member(provider, "membre@institut.example"),
        "other_admin": lambda: provider_member(ProviderFactory(), "admin@autre.example", is_admin=True),
        "agent": lambda: agent_with_roles("qualite", AgentRole.QUALITY),
    }[who]()
    before = qualiopi_of(provider)

    with pytest.raises(RenewalError) as refused:
        send_qualiopi(provider, actor)

    assert [p.code for p in refused.value.problems] == ["administrators_only"]
    assert (
        DocumentRenewal.objects.count(),
        ProviderDocument.objects.count(),
        AuditEvent.objects.count(),
    ) == (
        0,
        0,
        0,
    )
    assert qualiopi_of(provider) == before
    deliver_emails()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("details", "field", "code"),
    [
        ({"number": " "}, "qualiopi_number", "required"),
        ({"valid_until": TODAY}, "qualiopi_valid_until", "qualiopi_expired"),
        ({"valid_until": TODAY - 400 * DAY}, "qualiopi_valid_until", "qualiopi_expired"),
        ({"valid_until": None}, "qualiopi_valid_until", "required"),
    ],
)
def test_a_certificate_is_checked_as_at_the_application(provider, admin, details, field, code):
    with pytest.raises(RenewalError) as refused:
        send_qualiopi(provider, admin, **details)

    assert [(p.field, p.code) for p in refused.value.problems] == [(field, code)]
    assert (DocumentRenewal.objects.count(), ProviderDocument.objects.count()) == (0, 0)


@pytest.mark.parametrize(
    ("issued_on", "code"),
    [(TODAY + DAY, "kbis_in_future"), (TODAY - 100 * DAY, "kbis_too_old")],
)
def test_a_kbis_is_checked_as_at_the_application(provider, admin, issued_on, code):
    with pytest.raises(RenewalError) as refused:
        send_kbis(provider, admin, issued_on=issued_on)

    assert [(p.field, p.code) for p in refused.value.problems] == [("kbis_issued_on", code)]
    assert ProviderDocument.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"%PDF-1.7\nnot really a pdf\n%%EOF", "document_type"),
        (b"<html><script>alert(1)</script></html>", "document_type"),
        (b"", "document_empty"),
    ],
)
def test_a_file_that_is_not_a_readable_pdf_or_image_is_refused(content, code):
    with pytest.raises(DocumentRefused) as refused:
        checked("certificat.pdf", content)

    assert [p.code for p in refused.value.problems] == [code]


def test_a_refused_provider_sends_nothing():
    provider = ProviderFactory(status=ProviderStatus.REFUSED)
    admin = provider_member(provider, "admin@institut.example", is_admin=True)

    with pytest.raises(RenewalError) as refused:
        send_qualiopi(provider, admin)

    assert [p.code for p in refused.value.problems] == ["provider_refused"]
    assert ProviderDocument.objects.count() == 0


def test_a_new_sending_replaces_the_one_awaiting_and_both_files_stay(provider, admin):
    first = send_qualiopi(provider, admin, name="mauvais.pdf")
    kbis = send_kbis(provider, admin)

    second = send_qualiopi(provider, admin, name="bon.pdf", now=NOW + DAY)

    first.refresh_from_db()
    assert (first.status, first.decided_by, first.decided_at) == (
        DocumentCheckStatus.REPLACED,
        admin,
        NOW + DAY,
    )
    assert DocumentRenewal.objects.pending().get(kind=RenewableKind.QUALIOPI) == second
    kbis.refresh_from_db()
    assert kbis.status == DocumentCheckStatus.SUBMITTED  # another kind: not replaced
    assert sorted(provider.documents.values_list("original_name", flat=True)) == [
        "bon.pdf",
        "kbis.png",
        "mauvais.pdf",
    ]
    [event] = events("provider.document_renewal_replaced")
    assert (event.target_id, event.reason) == (str(first.pk), REPLACED)


# Checking --------------------------------------------------------------------------------------


def test_an_accepted_certificate_becomes_the_providers_and_it_is_told(
    provider, admin, quality, deliver_emails
):
    renewal = send_qualiopi(provider, admin)
    former = qualiopi_of(provider)

    accepted = accept_document_renewal(renewal=renewal, actor=quality, now=NOW + DAY)

    assert (accepted.status, accepted.decided_by, accepted.decided_at) == (
        DocumentCheckStatus.ACCEPTED,
        quality,
        NOW + DAY,
    )
    assert qualiopi_of(provider) == ("QUALIOPI-2027-9", None, NEW_END)
    [renewed] = events("provider.qualiopi_renewed")
    assert (renewed.actor, renewed.target_type, renewed.target_id) == (
        quality,
        "providers.provider",
        str(provider.pk),
    )
    assert renewed.changes == {
        "qualiopi_number": {"old": former[0], "new": "QUALIOPI-2027-9"},
        "qualiopi_valid_from": {"old": former[1].isoformat(), "new": None},
        "qualiopi_valid_until": {"old": former[2].isoformat(), "new": NEW_END.isoformat()},
    }
    [decided] = events("provider.document_renewal_accepted")
    assert decided.changes["status"] == {"old": "submitted", "new": "accepted"}
    deliver_emails()
    [message] = mail.outbox
    assert message.to == ["contact@institut.example", "admin@institut.example"]
    assert message.subject == "Compte Formation : votre nouveau certificat Qualiopi est accepté"
    assert f"valable jusqu'au {NEW_END:%d/%m/%Y}, est accepté" in message.body
    assert f"/organisme/{provider.pk}/documents/renouveler/qualiopi/" in message.body


def test_an_accepted_kbis_changes_nothing_on_the_provider(admin, provider, quality, deliver_emails):
    renewal = send_kbis(provider, admin)
    before = qualiopi_of(provider)

    accept_document_renewal(renewal=renewal, actor=quality, now=NOW)

    assert qualiopi_of(provider) == before
    assert events("provider.qualiopi_renewed") == []
    deliver_emails()
    assert mail.outbox[-1].subject == "Compte Formation : votre nouvel extrait Kbis est accepté"


def test_a_refused_certificate_changes_nothing_and_the_provider_reads_why(
    provider, admin, quality, deliver_emails
):
    renewal = send_qualiopi(provider, admin)
    before = qualiopi_of(provider)

    refused = refuse_document_renewal(
        renewal=renewal, actor=quality, reason="Le certificat est celui d'un autre organisme.", now=NOW
    )

    assert (refused.status, refused.refusal_reason) == (
        DocumentCheckStatus.REFUSED,
        "Le certificat est celui d'un autre organisme.",
    )
    assert qualiopi_of(provider) == before
    [event] = events("provider.document_renewal_refused")
    assert event.reason == "Le certificat est celui d'un autre organisme."
    deliver_emails()
    [message] = mail.outbox
    assert message.subject == "Compte Formation : votre nouveau certificat Qualiopi est refusé"
    assert "Le certificat est celui d'un autre organisme." in message.body
    assert f"reste celui valable jusqu'au {before[2]:%d/%m/%Y}" in message.body


def test_a_refusal_needs_a_reason(provider, admin, quality):
    renewal = send_qualiopi(provider, admin)

    with pytest.raises(RenewalError):
        refuse_document_renewal(renewal=renewal, actor=quality, reason="  ", now=NOW)

    renewal.refresh_from_db()
    assert renewal.status == DocumentCheckStatus.SUBMITTED


@pytest.mark.parametrize("who", ["payments", "fraud", "no_role", "provider_admin"])
def test_only_agents_whose_role_checks_documents_decide(provider, admin, who, deliver_emails):
    renewal = send_qualiopi(provider, admin)
    actor = {
        "payments": lambda: agent_with_roles("paiements", AgentRole.PAYMENTS),
        "fraud": lambda: agent_with_roles("fraude", AgentRole.FRAUD),
        "no_role": lambda: agent_with_roles("sans-role"),
        "provider_admin": lambda: admin,
    }[who]()
    before, events_before = qualiopi_of(provider), AuditEvent.objects.count()

    for decide in (
        lambda: accept_document_renewal(renewal=renewal, actor=actor, now=NOW),
        lambda: refuse_document_renewal(renewal=renewal, actor=actor, reason="Non", now=NOW),
    ):
        with pytest.raises(RenewalError) as refused:
            decide()
        assert [p.code for p in refused.value.problems] == ["quality_agents_only"]

    renewal.refresh_from_db()
    assert (renewal.status, qualiopi_of(provider)) == (DocumentCheckStatus.SUBMITTED, before)
    assert AuditEvent.objects.count() == events_before
    deliver_emails()
    assert mail.outbox == []


def test_an_administrator_agent_may_check():
    provider = ProviderFactory()
    admin = provider_member(provider, "admin@institut.example", is_admin=True)
    renewal = send_qualiopi(provider, admin)

    accept_document_renewal(renewal=renewal, actor=agent_with_roles("chef", AgentRole.ADMINISTRATOR), now=NOW)

    assert qualiopi_of(provider)[2] == NEW_END


def test_a_document_is_decided_once(provider, admin, quality):
    renewal = send_qualiopi(provider, admin)
    refuse_document_renewal(renewal=renewal, actor=quality, reason="Illisible.", now=NOW)

    with pytest.raises(RenewalError) as refused:
        accept_document_renewal(renewal=renewal, actor=quality, now=NOW)

    assert [p.code for p in refused.value.problems] == ["already_decided"]
    assert qualiopi_of(provider)[2] == TODAY + 20 * DAY


def test_a_certificate_that_ended_while_it_awaited_is_not_accepted(provider, admin, quality):
    renewal = send_qualiopi(provider, admin, valid_until=TODAY + 5 * DAY)
    before = qualiopi_of(provider)

    with pytest.raises(RenewalError) as refused:
        accept_document_renewal(renewal=renewal, actor=quality, now=NOW + 6 * DAY)

    assert [p.code for p in refused.value.problems] == ["qualiopi_expired"]
    renewal.refresh_from_db()
    assert (renewal.status, qualiopi_of(provider)) == (DocumentCheckStatus.SUBMITTED, before)


# The offers unpublished at the expiry ----------------------------------------------------------


def test_offers_unpublished_at_the_expiry_come_back_only_when_the_provider_republishes_them(
    provider, admin, quality, deliver_emails
):
    # given a provider whose certificate ended, its offers unpublished by the nightly job
    provider.qualiopi_valid_until = TODAY - DAY
    provider.save()
    expired, withdrawn = (
        SessionFactory(
            action__training__provider=provider,
            action__training__published=True,
            action__training__title=title,
        ).action.training
        for title in ("Anglais professionnel", "Comptabilité")
    )
    unpublish_offers_of_expired_certificates(today=TODAY, now=NOW)
    assert [t.pk for t in unpublished_at_expiry(provider)] == [expired.pk, withdrawn.pk]

    # when it sends a renewed certificate, it cannot republish before the agent accepts it
    renewal = send_qualiopi(provider, admin)
    with pytest.raises(NotPublishable) as refused:
        publish_training(training=expired, actor=admin, now=NOW, organisation=provider)
    assert any("Le certificat Qualiopi de l'organisme a pris fin" in m for m in refused.value.messages)

    # then the acceptance republishes nothing; the provider republishes each offer itself
    accept_document_renewal(renewal=renewal, actor=quality, now=NOW)
    expired.refresh_from_db()
    assert expired.status == PublicationStatus.UNPUBLISHED
    deliver_emails()
    assert "Les 2 offres dépubliées à l'expiration de votre ancien certificat" in mail.outbox[-1].body
    publish_training(training=expired, actor=admin, now=NOW, organisation=provider)
    expired.refresh_from_db()
    assert expired.status == PublicationStatus.PUBLISHED
    assert [t.pk for t in unpublished_at_expiry(provider)] == [withdrawn.pk]
