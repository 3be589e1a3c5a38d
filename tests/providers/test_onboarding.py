"""A provider's application made in the providers' space (rule 24): what is checked, what is
created (the provider applying, its documents as real files, its bank details awaiting
verification, its first administrator), the e-mails; and its review by agents: deadlines,
queue order, sanction flag, acceptance and refusal told by e-mail."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail

from cpf.accounts.enums import AgentRole, UserKind
from cpf.accounts.models import ProviderMembership, User
from cpf.core.models import AuditEvent
from cpf.providers.enums import BankDetailsStatus, DocumentKind, ProviderStatus, SanctionKind
from cpf.providers.models import Provider, ProviderDocument, ProviderSanction
from cpf.providers.onboarding import (
    accept_application,
    deadlines,
    declare_admissible,
    record_sanction,
    refuse_application,
    review_queue,
    sign_up_provider,
)
from cpf.providers.queries import authorised_certifications
from cpf.providers.services import ProviderError
from tests.accounts.factories import provider_member
from tests.accounts.support import agent_with_roles
from tests.clock import NOW, TODAY
from tests.providers.onboarding_support import administrator, application, checked, png_bytes

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def quality():
    return agent_with_roles("qualite", AgentRole.QUALITY)


def codes(refused: pytest.ExceptionInfo) -> set[tuple[str, str]]:
    return {(problem.field, problem.code) for problem in refused.value.problems}


def test_a_sign_up_creates_the_provider_its_documents_bank_details_and_administrator(deliver_emails):
    given = application()

    membership = sign_up_provider(application=given, now=NOW, administrator=administrator())

    provider = membership.provider
    assert (provider.status, provider.siret, provider.nda, provider.applied_at) == (
        ProviderStatus.APPLYING,
        given.siret,
        "84691234569",
        NOW,
    )
    assert provider.address == "3 place Bellecour, 69002 Lyon"
    assert provider.qualiopi_valid_until == given.qualiopi_valid_until
    user = membership.user
    assert (user.kind, user.email, user.email_confirmed_at, membership.is_admin) == (
        UserKind.PROVIDER_MEMBER,
        "directrice@lumiere-formation.example",
        None,
        True,
    )
    assert user.check_password("Organisme2026")
    documents = {d.kind: d for d in provider.documents.all()}
    assert set(documents) == {DocumentKind.QUALIOPI, DocumentKind.CERTIFIER_AUTHORISATION, DocumentKind.KBIS}
    assert documents[DocumentKind.KBIS].content_type == "image/png"
    with documents[DocumentKind.KBIS].file.open("rb") as stored:
        assert stored.read() == png_bytes()
    assert documents[DocumentKind.CERTIFIER_AUTHORISATION].certification == given.authorisations[0][0]
    [details] = provider.bank_details.all()
    assert (details.status, details.submitted_by) == (BankDetailsStatus.SUBMITTED, user)
    assert AuditEvent.objects.filter(event="provider.applied", target_id=str(provider.pk)).count() == 1
    deliver_emails()
    both = ("contact@lumiere-formation.example", "directrice@lumiere-formation.example")
    assert sorted((tuple(m.to), m.subject) for m in mail.outbox) == sorted(
        [
            (both, "Compte Formation : votre demande de référencement est enregistrée"),
            (both, "Compte Formation : demande de changement de coordonnées bancaires"),
            (
                ("directrice@lumiere-formation.example",),
                "Confirmez votre adresse e-mail – Compte Formation, espace professionnel",
            ),
        ]
    )


def test_a_provider_member_signing_up_becomes_the_administrator_with_their_own_login():
    other = Provider.objects.create(legal_name="Autre", siret=application().siret)
    member = provider_member(other, "formateur@autre.example")

    membership = sign_up_provider(application=application(), now=NOW, user=member)

    assert (membership.user, membership.is_admin) == (member, True)
    assert User.objects.filter(kind=UserKind.PROVIDER_MEMBER).count() == 1


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"siret": "12345678901234"}, {("siret", "siret_checksum")}),
        ({"siret": "1234"}, {("siret", "siret_format")}),
        ({"nda": "8469123456"}, {("nda", "nda_format")}),
        ({"nda": "8469123456A"}, {("nda", "nda_format")}),
        ({"iban": "FR76 3000 6000 0112 3456 7890 188"}, {("iban", "iban_invalid")}),
        ({"bic": "BNPAFRP"}, {("bic", "bic_format")}),
        ({"account_holder_name": "  "}, {("account_holder_name", "account_holder_required")}),
        ({"postal_code": "6900"}, {("postal_code", "postal_code_format")}),
        ({"legal_name": " "}, {("legal_name", "required")}),
        ({"qualiopi_valid_until": TODAY}, {("qualiopi_valid_until", "qualiopi_expired")}),
        ({"kbis_issued_on": TODAY - datetime.timedelta(days=93)}, {("kbis_issued_on", "kbis_too_old")}),
        ({"kbis_issued_on": TODAY + DAY}, {("kbis_issued_on", "kbis_in_future")}),
        ({"authorisations": []}, {("authorisations", "authorisation_required")}),
    ],
)
def test_an_application_with_a_wrong_field_is_refused_and_creates_nothing(changes, expected):
    with pytest.raises(ProviderError) as refused:
        sign_up_provider(application=application(**changes), now=NOW, administrator=administrator())

    assert codes(refused) == expected
    assert (Provider.objects.count(), User.objects.count(), ProviderDocument.objects.count()) == (0, 0, 0)


def test_a_kbis_of_exactly_three_months_is_accepted():
    membership = sign_up_provider(
        application=application(kbis_issued_on=datetime.date(2026, 8, 27)),
        now=NOW,
        administrator=administrator(),
    )

    assert membership.provider.documents.get(kind=DocumentKind.KBIS).issued_on == datetime.date(2026, 8, 27)


def test_a_weak_password_or_a_taken_address_is_refused():
    provider_member(Provider.objects.create(legal_name="Autre", siret=application().siret), "pris@exemple.fr")

    with pytest.raises(ProviderError) as refused:
        sign_up_provider(application=application(), now=NOW, administrator=administrator("PRIS@exemple.fr"))
    assert codes(refused) == {("admin_email", "login_exists")}

    weak = administrator()
    with pytest.raises(ProviderError) as refused:
        sign_up_provider(
            application=application(),
            now=NOW,
            administrator=type(weak)(weak.email, weak.first_name, weak.last_name, "court"),
        )
    assert {code for _, code in codes(refused)} == {"weak_password"}
    assert Provider.objects.count() == 1


def test_a_siret_already_registered_is_refused_and_no_file_stays_behind(tmp_path):
    first = sign_up_provider(application=application(), now=NOW, administrator=administrator())
    storage = first.provider.documents.first().file.storage
    files_before = _stored_files(storage)

    with pytest.raises(ProviderError) as refused:
        sign_up_provider(
            application=application(siret=first.provider.siret),
            now=NOW,
            administrator=administrator("autre@exemple.fr"),
        )

    assert codes(refused) == {("siret", "siret_taken")}
    assert Provider.objects.count() == 1
    assert _stored_files(storage) == files_before


def _stored_files(storage) -> set[str]:
    found = set()
    folders = ["providers"]
    while folders:
        folder = folders.pop()
        if not storage.exists(folder):
            continue
        subfolders, files = storage.listdir(folder)
        folders += [f"{folder}/{name}" for name in subfolders]
        found |= {f"{folder}/{name}" for name in files}
    return found


# The review ------------------------------------------------------------------------------


def applied(at: datetime.datetime, *, siret_suffix: str = "", **changes) -> Provider:
    changes.setdefault("kbis_issued_on", at.date() - datetime.timedelta(days=10))
    membership = sign_up_provider(
        application=application(**changes),
        now=at,
        administrator=administrator(f"admin{at:%Y%m%d%H%M}{siret_suffix}@exemple.fr"),
    )
    return membership.provider


def test_the_deadlines_count_11_business_days_and_2_months_from_the_application():
    # Friday 27 November 2026: 11 business days later (no holiday in between) is Monday 14 December
    provider = applied(NOW)

    found = deadlines(provider)

    assert (found.applied_on, found.admissibility_due, found.decision_due) == (
        TODAY,
        datetime.date(2026, 12, 14),
        datetime.date(2027, 1, 27),
    )


def test_the_business_days_skip_public_holidays():
    # Applied on Thursday 24 December 2026: Christmas and New Year's Day are not business days
    provider = applied(datetime.datetime(2026, 12, 24, 9, 0, tzinfo=datetime.UTC))

    assert deadlines(provider).admissibility_due == datetime.date(2027, 1, 12)


def test_the_queue_shows_the_overdue_first_then_by_deadline_and_flags_recent_sanctions(quality):
    # given applications made at different times, one of them admissible, one by a sanctioned provider
    today = datetime.date(2027, 2, 1)
    old = applied(datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC))  # decision due 2 Jan: overdue
    late = applied(
        datetime.datetime(2027, 1, 5, 9, 0, tzinfo=datetime.UTC)
    )  # admissibility due 20 Jan: overdue
    fresh = applied(datetime.datetime(2027, 1, 28, 9, 0, tzinfo=datetime.UTC))  # due 12 Feb
    admissible = applied(datetime.datetime(2027, 1, 20, 9, 0, tzinfo=datetime.UTC))  # decision due 20 Mar
    declare_admissible(
        provider=admissible, actor=quality, now=datetime.datetime(2027, 1, 25, tzinfo=datetime.UTC)
    )
    declare_admissible(provider=old, actor=quality, now=datetime.datetime(2026, 11, 10, tzinfo=datetime.UTC))
    record_sanction(
        provider=fresh,
        kind=SanctionKind.PAYMENT_SUSPENSION,
        decided_on=datetime.date(2025, 3, 1),
        reason="Facturation de prestations non réalisées",
        actor=quality,
        now=NOW,
    )
    record_sanction(
        provider=late,
        kind=SanctionKind.UNPUBLISHING,
        decided_on=datetime.date(2025, 1, 31),  # more than 2 years before today
        reason="Démarchage",
        actor=quality,
        now=NOW,
    )

    queue = review_queue(today=today)

    assert [(e.provider, e.next_step, e.next_due, e.overdue, e.recently_sanctioned) for e in queue] == [
        (old, "decision", datetime.date(2027, 1, 2), True, False),
        (late, "admissibility", datetime.date(2027, 1, 20), True, False),
        (fresh, "admissibility", datetime.date(2027, 2, 12), False, True),
        (admissible, "decision", datetime.date(2027, 3, 20), False, False),
    ]


def test_accepting_references_the_provider_and_tells_it(quality, deliver_emails):
    provider = applied(NOW)
    deliver_emails()
    mail.outbox.clear()

    accept_application(provider=provider, actor=quality, now=NOW + DAY)

    provider.refresh_from_db()
    assert provider.status == ProviderStatus.REFERENCED
    deliver_emails()
    [message] = mail.outbox
    assert message.subject == "Compte Formation : Institut Lumière Formation est référencé"
    assert message.to == ["contact@lumiere-formation.example", f"admin{NOW:%Y%m%d%H%M}@exemple.fr"]
    assert "Vous pouvez publier vos offres" in message.body
    assert review_queue(today=TODAY) == []


def test_accepting_lets_the_provider_offer_the_certifications_it_proved(quality):
    provider = applied(NOW)
    proved = {document.certification for document in provider.documents.filter(certification__isnull=False)}
    assert proved
    assert not set(authorised_certifications(provider, today=TODAY)) & proved

    accept_application(provider=provider, actor=quality, now=NOW + DAY)
    recorded = provider.certification_authorisations.count()

    assert proved <= set(authorised_certifications(provider, today=(NOW + DAY).date()))
    assert recorded == len(proved)


def test_refusing_needs_a_reason_which_the_provider_reads(quality, deliver_emails):
    provider = applied(NOW)
    deliver_emails()
    mail.outbox.clear()

    with pytest.raises(ProviderError):
        refuse_application(provider=provider, actor=quality, reason=" ", now=NOW + DAY)
    refuse_application(
        provider=provider, actor=quality, reason="L'extrait Kbis ne correspond pas au SIRET.", now=NOW + DAY
    )

    provider.refresh_from_db()
    assert provider.status == ProviderStatus.REFUSED
    deliver_emails()
    [message] = mail.outbox
    assert message.subject == "Compte Formation : votre demande de référencement est refusée"
    assert "L'extrait Kbis ne correspond pas au SIRET." in message.body


@pytest.mark.parametrize("role", [AgentRole.SUPPORT, AgentRole.PAYMENTS, AgentRole.FRAUD])
def test_only_agents_in_charge_of_referencing_decide(role, deliver_emails):
    provider = applied(NOW)
    deliver_emails()
    mail.outbox.clear()
    agent = agent_with_roles(f"agent-{role}", role)

    for decide in (
        lambda: accept_application(provider=provider, actor=agent, now=NOW),
        lambda: refuse_application(provider=provider, actor=agent, reason="Non", now=NOW),
        lambda: declare_admissible(provider=provider, actor=agent, now=NOW),
    ):
        with pytest.raises(ProviderError):
            decide()

    provider.refresh_from_db()
    assert (provider.status, provider.admissible_at) == (ProviderStatus.APPLYING, None)
    deliver_emails()
    assert mail.outbox == []


def test_a_provider_member_cannot_decide():
    provider = applied(NOW)
    admin = ProviderMembership.objects.get(provider=provider).user

    with pytest.raises(ProviderError):
        accept_application(provider=provider, actor=admin, now=NOW)


def test_a_sanction_needs_a_reason_and_ends_after_its_decision(quality):
    provider = applied(NOW)

    with pytest.raises(ProviderError):
        record_sanction(
            provider=provider,
            kind=SanctionKind.UNPUBLISHING,
            decided_on=TODAY,
            reason="",
            actor=quality,
            now=NOW,
        )
    with pytest.raises(ProviderError):
        record_sanction(
            provider=provider,
            kind=SanctionKind.TEMPORARY_DELISTING,
            decided_on=TODAY,
            ends_on=TODAY - DAY,
            reason="Fraude",
            actor=quality,
            now=NOW,
        )
    assert ProviderSanction.objects.count() == 0


def test_documents_stored_as_files_with_their_checked_type():
    membership = sign_up_provider(
        application=application(qualiopi_file=checked("scan.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100)),
        now=NOW,
        administrator=administrator(),
    )

    qualiopi = membership.provider.documents.get(kind=DocumentKind.QUALIOPI)
    assert (qualiopi.content_type, qualiopi.original_name, qualiopi.size) == ("image/jpeg", "scan.jpg", 104)
    assert qualiopi.file.name.startswith(f"providers/{membership.provider.pk}/")
    assert qualiopi.file.name.endswith(".jpg")
