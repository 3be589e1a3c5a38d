"""A provider's bank details: entered, verified by a payments agent (never the person who entered
them), in force after a waiting period; append-only; every change on the audit log with the
IBAN masked. Payouts read ``bank_details_in_force`` only."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction

from cpf.accounts.enums import AgentRole
from cpf.core.models import AuditEvent
from cpf.providers import services
from cpf.providers.bank_details import (
    REPLACED,
    BankDetailsError,
    bank_details_in_force,
    reject_bank_details,
    submit_bank_details,
    verify_bank_details,
)
from cpf.providers.enums import BankDetailsStatus
from cpf.providers.models import BankDetails
from tests.accounts.factories import provider_member
from tests.accounts.support import agent_with_roles
from tests.factories import BankDetailsFactory, ProviderFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.UTC)
IBAN = "FR76 3000 6000 0112 3456 7890 189"
IBAN_COMPACT = "FR7630006000011234567890189"
OTHER_IBAN = "FR1420041010050500013M02606"
DAY = datetime.timedelta(days=1)


@pytest.fixture
def payments():
    return agent_with_roles("paiements", AgentRole.PAYMENTS)


def events(details: BankDetails) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(target_type="providers.bankdetails", target_id=str(details.pk)).order_by(
            "id"
        )
    )


def test_new_details_await_verification_and_are_logged_with_the_iban_masked():
    provider = ProviderFactory(iban="")
    member = provider_member(provider)

    details = submit_bank_details(
        provider=provider, iban=IBAN, account_holder_name="  Institut  Lyon ", actor=member, now=NOW
    )

    assert (details.iban, details.bic, details.account_holder_name, details.status) == (
        IBAN_COMPACT,
        "AGRIFRPPXXX",
        "Institut Lyon",
        BankDetailsStatus.SUBMITTED,
    )
    [event] = events(details)
    assert (event.event, event.actor, event.organisation_type, event.organisation_id) == (
        "provider.bank_details_submitted",
        member,
        "providers.provider",
        str(provider.pk),
    )
    assert event.changes == {
        "iban": {"old": None, "new": "FR76 •••• •••• 0189"},
        "bic": {"old": None, "new": "AGRIFRPPXXX"},
        "account_holder_name": {"old": None, "new": "Institut Lyon"},
    }
    assert IBAN_COMPACT not in str(event.changes)


@pytest.mark.parametrize(
    ("iban", "bic", "name", "errors"),
    [
        (
            "FR76 3000 6000 0112 3456 7890 188",
            "",
            "Institut",
            {"iban": ["Cet IBAN n'est pas valide : vérifiez-le sur votre relevé d'identité bancaire."]},
        ),
        (IBAN, "AGRIF", "Institut", {"bic": ["Le BIC compte 8 ou 11 caractères."]}),
        (IBAN, "", " ", {"account_holder_name": ["Indiquez le titulaire du compte."]}),
    ],
)
def test_wrong_details_are_refused_and_nothing_is_recorded(iban, bic, name, errors):
    provider = ProviderFactory(iban="")

    with pytest.raises(BankDetailsError) as refused:
        submit_bank_details(
            provider=provider, iban=iban, bic=bic, account_holder_name=name, actor=None, now=NOW
        )

    assert refused.value.by_field() == errors
    assert not BankDetails.objects.exists()
    assert not AuditEvent.objects.filter(event__startswith="provider.bank_details").exists()


def test_new_details_replace_those_still_awaiting_verification():
    provider = ProviderFactory(iban="")
    first = submit_bank_details(
        provider=provider, iban=IBAN, account_holder_name="Institut", actor=None, now=NOW
    )

    second = submit_bank_details(
        provider=provider, iban=OTHER_IBAN, account_holder_name="Institut", actor=None, now=NOW + DAY
    )

    first.refresh_from_db()
    assert (first.status, first.rejected_at, first.rejection_reason) == (
        BankDetailsStatus.REJECTED,
        NOW + DAY,
        REPLACED,
    )
    assert second.status == BankDetailsStatus.SUBMITTED
    assert [e.event for e in events(first)] == [
        "provider.bank_details_submitted",
        "provider.bank_details_rejected",
    ]


def test_a_payments_agent_verifies_details_which_take_effect_after_the_waiting_period(payments):
    details = BankDetailsFactory(submitted=True)

    verify_bank_details(bank_details=details, actor=payments, now=NOW)

    details.refresh_from_db()
    assert (details.status, details.verified_by, details.verified_at, details.effective_from) == (
        BankDetailsStatus.VERIFIED,
        payments,
        NOW,
        NOW + 5 * DAY,
    )
    [event] = events(details)
    assert (event.event, event.actor, event.actor_role) == (
        "provider.bank_details_verified",
        payments,
        "agent:payments",
    )
    assert event.changes == {
        "status": {"old": "submitted", "new": "verified"},
        "verified_by": {"old": None, "new": payments.pk},
        "effective_from": {"old": None, "new": (NOW + 5 * DAY).isoformat()},
    }


def test_the_person_who_entered_details_cannot_verify_them(payments):
    details = submit_bank_details(
        provider=ProviderFactory(iban=""), iban=IBAN, account_holder_name="Institut", actor=payments, now=NOW
    )

    with pytest.raises(BankDetailsError) as refused:
        verify_bank_details(bank_details=details, actor=payments, now=NOW + DAY)

    assert refused.value.messages == [
        "Des coordonnées bancaires sont vérifiées par une autre personne que leur auteur."
    ]
    details.refresh_from_db()
    assert details.status == BankDetailsStatus.SUBMITTED
    assert len(events(details)) == 1


@pytest.mark.parametrize("role", [AgentRole.QUALITY, AgentRole.FRAUD, AgentRole.SUPPORT])
def test_only_the_payments_role_verifies_or_rejects(role):
    details = BankDetailsFactory(submitted=True)
    agent = agent_with_roles("agent", role)

    with pytest.raises(BankDetailsError):
        verify_bank_details(bank_details=details, actor=agent, now=NOW)
    with pytest.raises(BankDetailsError):
        reject_bank_details(bank_details=details, actor=agent, reason="Non", now=NOW)

    details.refresh_from_db()
    assert details.status == BankDetailsStatus.SUBMITTED
    assert events(details) == []


def test_a_rejection_needs_a_reason_and_keeps_the_details_in_force(payments):
    provider = ProviderFactory()
    in_force = provider.bank_details.get()
    details = submit_bank_details(
        provider=provider, iban=IBAN, account_holder_name="Autre", actor=None, now=NOW
    )

    with pytest.raises(BankDetailsError):
        reject_bank_details(bank_details=details, actor=payments, reason=" ", now=NOW)
    reject_bank_details(
        bank_details=details, actor=payments, reason="Le titulaire n'est pas l'organisme.", now=NOW + DAY
    )

    details.refresh_from_db()
    assert (details.status, details.rejected_by, details.rejection_reason) == (
        BankDetailsStatus.REJECTED,
        payments,
        "Le titulaire n'est pas l'organisme.",
    )
    assert bank_details_in_force(provider=provider, on=NOW + 30 * DAY) == in_force
    assert events(details)[-1].reason == "Le titulaire n'est pas l'organisme."


def test_decided_details_cannot_be_decided_again(payments):
    details = BankDetailsFactory()  # verified

    with pytest.raises(BankDetailsError) as refused:
        reject_bank_details(bank_details=details, actor=payments, reason="Trop tard", now=NOW)

    assert refused.value.messages == ["Ces coordonnées bancaires sont déjà vérifiées."]


def test_the_details_in_force_at_a_date_across_a_change_and_its_waiting_period(payments):
    # given details in force since 2024, then new ones entered on day 0 and verified on day 1
    provider = ProviderFactory()
    old = provider.bank_details.get()
    new = submit_bank_details(
        provider=provider, iban=IBAN, account_holder_name="Institut", actor=None, now=NOW
    )
    verify_bank_details(bank_details=new, actor=payments, now=NOW + DAY)

    # then payouts go to the old account until the waiting period is over, to the new one from then
    in_force = {
        at: bank_details_in_force(provider=provider, on=at)
        for at in (
            NOW,
            NOW + DAY,
            NOW + 6 * DAY - datetime.timedelta(seconds=1),
            NOW + 6 * DAY,
            NOW + 60 * DAY,
        )
    }
    assert in_force == {
        NOW: old,
        NOW + DAY: old,
        NOW + 6 * DAY - datetime.timedelta(seconds=1): old,
        NOW + 6 * DAY: new,
        NOW + 60 * DAY: new,
    }
    assert (
        bank_details_in_force(provider=provider, on=datetime.datetime(2023, 12, 31, tzinfo=datetime.UTC))
        is None
    )


def test_a_payout_never_sees_details_not_verified_or_still_waiting(payments):
    # given a provider whose only details await verification, another whose were rejected,
    # and a third whose were just verified
    waiting = BankDetailsFactory(submitted=True).provider
    rejected = BankDetailsFactory(submitted=True)
    reject_bank_details(bank_details=rejected, actor=payments, reason="RIB illisible", now=NOW)
    verified = BankDetailsFactory(submitted=True)
    verify_bank_details(bank_details=verified, actor=payments, now=NOW)

    # then none of them can be paid now
    assert [
        bank_details_in_force(provider=provider, on=NOW + DAY)
        for provider in (waiting, rejected.provider, verified.provider)
    ] == [None, None, None]


def test_entered_details_are_never_edited_nor_deleted_by_sql():
    details = BankDetailsFactory(submitted=True)

    for change in (
        lambda: BankDetails.objects.filter(pk=details.pk).update(iban=OTHER_IBAN.replace(" ", "")),
        lambda: BankDetails.objects.filter(pk=details.pk).update(account_holder_name="Escroc"),
        lambda: BankDetails.objects.filter(pk=details.pk).delete(),
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            change()

    details.refresh_from_db()
    assert details.iban != OTHER_IBAN and details.account_holder_name != "Escroc"


def test_verified_details_never_change_again_even_their_verification():
    details = BankDetailsFactory()

    with pytest.raises(IntegrityError, match="already verified"), transaction.atomic():
        BankDetails.objects.filter(pk=details.pk).update(effective_from=NOW)


def test_the_database_refuses_a_verification_by_the_person_who_entered_them(payments):
    details = BankDetailsFactory(submitted=True, submitted_by=payments)

    with pytest.raises(IntegrityError, match="bank_details_verified_by_another_person"), transaction.atomic():
        BankDetails.objects.filter(pk=details.pk).update(
            status=BankDetailsStatus.VERIFIED, verified_by=payments, verified_at=NOW, effective_from=NOW
        )


def test_referencing_needs_bank_details_not_rejected(payments):
    provider = ProviderFactory(applying=True, iban="")
    details = submit_bank_details(
        provider=provider, iban=IBAN, account_holder_name="Institut", actor=None, now=NOW
    )
    problem = "Les coordonnées bancaires (IBAN) sont manquantes ou ont été rejetées."

    awaiting = services.referencing_problems(provider, today=NOW.date())
    reject_bank_details(bank_details=details, actor=payments, reason="RIB d'un tiers", now=NOW)
    after_rejection = services.referencing_problems(provider, today=NOW.date())

    assert (awaiting, after_rejection) == ([], [problem])
