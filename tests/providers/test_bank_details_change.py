"""A change of bank details asked for in the providers' space (rule 24): by an administrator,
with the new account's bank statement; every administrator told by e-mail (a fraud alert);
used for payouts only once verified by a payments agent and after the waiting period, a dated
parameter whose value on the day of the verification applies."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail

from cpf.accounts.enums import AgentRole
from cpf.core import parameters
from cpf.providers.bank_details import (
    BankDetailsError,
    bank_details_in_force,
    reject_bank_details,
    request_bank_details_change,
    verify_bank_details,
)
from cpf.providers.enums import BankDetailsStatus, DocumentKind
from cpf.providers.models import BankDetails, ProviderDocument
from tests.accounts.factories import provider_member
from tests.accounts.support import agent_with_roles
from tests.clock import NOW
from tests.factories import ProviderFactory
from tests.providers.onboarding_support import checked

pytestmark = pytest.mark.django_db

NEW_IBAN = "FR1420041010050500013M02606"
DAY = datetime.timedelta(days=1)


@pytest.fixture
def payments():
    return agent_with_roles("paiements", AgentRole.PAYMENTS)


def ask(provider, actor, now=NOW, iban=NEW_IBAN):
    return request_bank_details_change(
        provider=provider,
        iban=iban,
        account_holder_name="Institut Lumière",
        statement=checked("rib.pdf"),
        actor=actor,
        now=now,
    )


def test_an_administrator_asks_with_the_statement_and_every_administrator_is_told(deliver_emails):
    provider = ProviderFactory(email="contact@institut.example")
    admin = provider_member(provider, "admin@institut.example", is_admin=True)
    provider_member(provider, "autre-admin@institut.example", is_admin=True)
    provider_member(provider, "membre@institut.example")

    details = ask(provider, admin)

    assert (details.status, details.iban, details.bic, details.submitted_by) == (
        BankDetailsStatus.SUBMITTED,
        NEW_IBAN,
        "PSSTFRPP",
        admin,
    )
    [statement] = details.documents.all()
    assert (statement.kind, statement.provider, statement.content_type) == (
        DocumentKind.BANK_STATEMENT,
        provider,
        "application/pdf",
    )
    deliver_emails()
    [message] = mail.outbox
    assert message.to == [
        "contact@institut.example",
        "admin@institut.example",
        "autre-admin@institut.example",
    ]
    assert message.subject == "Compte Formation : demande de changement de coordonnées bancaires"
    assert "FR14 •••• •••• 2606" in message.body
    assert NEW_IBAN not in message.body
    assert "tentative de fraude" in message.body


def test_a_member_who_is_not_an_administrator_cannot_ask(deliver_emails):
    provider = ProviderFactory()
    member = provider_member(provider, "membre@institut.example")
    before = list(BankDetails.objects.values_list("pk", "status"))

    with pytest.raises(BankDetailsError) as refused:
        ask(provider, member)

    assert [p.code for p in refused.value.problems] == ["administrators_only"]
    assert list(BankDetails.objects.values_list("pk", "status")) == before
    assert ProviderDocument.objects.count() == 0
    deliver_emails()
    assert mail.outbox == []


def test_an_invalid_iban_stores_no_statement():
    provider = ProviderFactory()
    admin = provider_member(provider, "admin@institut.example", is_admin=True)

    with pytest.raises(BankDetailsError):
        ask(provider, admin, iban="FR14 2004 1010 0505 0001 3M02 607")

    assert ProviderDocument.objects.count() == 0


def test_payouts_follow_the_old_account_until_the_new_one_is_verified_and_its_wait_is_over(
    payments, deliver_emails
):
    # given a provider paid to its verified account, whose administrator asks for a new one
    provider = ProviderFactory()
    old = provider.bank_details.get()
    admin = provider_member(provider, "admin@institut.example", is_admin=True)
    new = ask(provider, admin)

    # when a payments agent verifies it the next day
    verify_bank_details(bank_details=new, actor=payments, now=NOW + DAY)

    # then payouts go to the old account for the 5 days of the waiting period, then to the new one
    assert [
        bank_details_in_force(provider=provider, on=at)
        for at in (
            NOW,
            NOW + DAY,
            NOW + 6 * DAY - datetime.timedelta(microseconds=1),
            NOW + 6 * DAY,
        )
    ] == [old, old, old, new]
    deliver_emails()
    assert [m.subject for m in mail.outbox] == [
        "Compte Formation : demande de changement de coordonnées bancaires",
        "Compte Formation : nouvelles coordonnées bancaires vérifiées",
    ]


def test_the_waiting_period_is_the_one_in_force_on_the_day_of_the_verification(payments):
    # given the operator lengthening the wait to 10 days from 1 December 2026
    parameters.set_value(
        code="bank_details_waiting_calendar_days",
        value=10,
        applies_from=datetime.date(2026, 12, 1),
        actor=agent_with_roles("admin", AgentRole.ADMINISTRATOR),
        reason="Vague de fraudes au changement de RIB",
        now=NOW,
    )
    provider = ProviderFactory()
    admin = provider_member(provider, "admin@institut.example", is_admin=True)
    before = ask(provider, admin)
    before = verify_bank_details(bank_details=before, actor=payments, now=NOW)  # 27 November: 5 days
    after = ask(provider, admin, iban="FR7630006000011234567890189")
    december = datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.UTC)
    after = verify_bank_details(bank_details=after, actor=payments, now=december)  # 10 days

    assert (before.effective_from, after.effective_from) == (NOW + 5 * DAY, december + 10 * DAY)


def test_a_rejected_change_is_never_used_and_the_provider_is_told_why(payments, deliver_emails):
    provider = ProviderFactory()
    old = provider.bank_details.get()
    admin = provider_member(provider, "admin@institut.example", is_admin=True)
    new = ask(provider, admin)

    reject_bank_details(
        bank_details=new, actor=payments, reason="Le RIB ne porte pas le nom de l'organisme.", now=NOW
    )

    assert bank_details_in_force(provider=provider, on=NOW + 60 * DAY) == old
    deliver_emails()
    assert mail.outbox[-1].subject == "Compte Formation : nouvelles coordonnées bancaires rejetées"
    assert "Le RIB ne porte pas le nom de l'organisme." in mail.outbox[-1].body


def test_the_administrator_who_asked_cannot_be_the_one_who_verifies():
    provider = ProviderFactory()
    admin = provider_member(provider, "admin@institut.example", is_admin=True)
    new = ask(provider, admin)

    with pytest.raises(BankDetailsError):
        verify_bank_details(bank_details=new, actor=admin, now=NOW)

    new.refresh_from_db()
    assert new.status == BankDetailsStatus.SUBMITTED
