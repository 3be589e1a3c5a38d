"""A provider's invoices (rules 22, 23): issued for a validated service done within what is owed,
a number used once per provider, a legal VAT rate; validated at once by the automatic checks;
paid by a payment run; nothing changes when one is refused."""

from __future__ import annotations

import datetime

import pytest

from cpf.bookings import services as bookings
from cpf.invoicing import services
from cpf.invoicing.enums import InvoiceStatus
from cpf.invoicing.models import Invoice, InvoiceTransition
from cpf.providers.enums import ProviderStatus
from tests.bookings.service_done_support import declared
from tests.factories import ProviderFactory
from tests.invoicing.support import INVOICE_DAY, LATER, OWED, validated_file

pytestmark = pytest.mark.django_db
I = InvoiceStatus  # noqa: E741


def issue(registration, *, provider=None, number="F-001", amount=OWED, vat_rate=0, issued_on=INVOICE_DAY):
    return services.issue_invoice(
        provider=provider or registration.action.training.provider,
        registration=registration,
        number=number,
        amount_cents=amount,
        vat_rate=vat_rate,
        issued_on=issued_on,
        actor=None,
        now=LATER,
    )


def invoices() -> list[tuple]:
    return sorted(Invoice.objects.values_list("pk", "status", "amount_cents", "number"))


def test_an_invoice_within_what_is_owed_is_validated_at_once_and_payable():
    registration = validated_file()

    invoice = issue(registration, amount=OWED, vat_rate=2000)

    assert (invoice.status, invoice.amount_cents, invoice.vat_cents, invoice.validated_at) == (
        I.VALIDATED,
        500_00,
        83_33,  # 500 × 20 / 120, half up
        LATER,
    )
    assert list(Invoice.objects.payable()) == [invoice]
    assert list(
        InvoiceTransition.objects.filter(invoice=invoice).values_list("from_status", "to_status")
    ) == [
        (I.ISSUED, I.ISSUED),
        (I.ISSUED, I.VALIDATED),
    ]


def test_a_suspended_provider_s_invoice_waits_for_an_agent():
    registration = validated_file()
    provider = registration.action.training.provider
    provider.status = ProviderStatus.SUSPENDED
    provider.save()

    invoice = issue(registration)

    assert invoice.status == I.ISSUED
    assert list(Invoice.objects.payable()) == []


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"amount": OWED + 1}, "amount_above_owed"),
        ({"amount": 0}, "amount_not_positive"),
        ({"vat_rate": 1960}, "vat_rate_invalid"),
        ({"number": "  "}, "required"),
        ({"number": "F" * 41}, "too_long"),
        ({"issued_on": datetime.date(2027, 4, 6)}, "issued_on_invalid"),
        ({"issued_on": datetime.date(2027, 4, 13)}, "issued_on_invalid"),
    ],
)
def test_a_bad_invoice_is_refused_and_changes_nothing(changes, code):
    registration = validated_file()

    with pytest.raises(services.InvoiceError) as refused:
        issue(registration, **changes)

    assert code in [problem.code for problem in refused.value.problems]
    assert invoices() == []


def test_a_number_is_used_once_per_provider_but_another_provider_may_use_it():
    first = validated_file()
    provider = first.action.training.provider
    second = validated_file(session__action__training__provider=provider)
    elsewhere = validated_file()
    issue(first, number="F-7")

    with pytest.raises(services.InvoiceError) as refused:
        issue(second, number="F-7")
    assert refused.value.problems[0].code == "number_taken"
    assert Invoice.objects.filter(registration=second).count() == 0

    assert issue(elsewhere, number="F-7").status == I.VALIDATED


def test_another_provider_s_file_is_not_found():
    registration = validated_file()
    other = ProviderFactory()

    with pytest.raises(services.RegistrationNotFound):
        issue(registration, provider=other)

    assert invoices() == []


def test_a_file_not_yet_validated_cannot_be_invoiced():
    registration = declared()

    with pytest.raises(services.InvoiceError) as refused:
        issue(registration)

    assert refused.value.problems[0].code == "not_invoiceable"
    assert invoices() == []


def test_one_live_invoice_per_file_a_rejected_one_may_be_replaced():
    registration = validated_file()
    first = issue(registration, number="F-1")

    with pytest.raises(services.InvoiceError) as refused:
        issue(registration, number="F-2")
    assert refused.value.problems[0].code == "already_invoiced"

    services.reject_invoice(invoice=first, actor=None, reason="Mauvais montant", now=LATER)
    assert issue(registration, number="F-2").status == I.VALIDATED


def test_a_payment_run_marks_it_paid_once_and_a_returned_transfer_makes_it_payable_again():
    invoice = issue(validated_file())

    class Line:
        pk = 41

    paid = services.mark_invoice_paid(invoice=invoice, payout_line=Line(), now=LATER)
    again = services.mark_invoice_paid(invoice=invoice, payout_line=Line(), now=LATER)

    assert (paid.status, paid.paid_at, paid.payout_reference) == (I.PAID, LATER, "payout_line:41")
    assert again.paid_at == LATER
    assert InvoiceTransition.objects.filter(invoice=invoice, to_status=I.PAID).count() == 1
    assert list(Invoice.objects.payable()) == []

    returned = services.return_paid_invoice(invoice=invoice, actor=None, reason="Compte clos", now=LATER)
    assert (returned.status, returned.paid_at, returned.payout_reference) == (I.VALIDATED, None, "")
    assert list(Invoice.objects.payable()) == [returned]


def test_an_invoice_validation_cannot_exceed_what_is_owed_nor_be_rejected_without_reason():
    registration = validated_file()
    invoice = issue(registration)

    with pytest.raises(services.InvoiceError):
        services.reject_invoice(invoice=invoice, actor=None, reason=" ", now=LATER)
    assert Invoice.objects.get().status == I.VALIDATED
    assert bookings  # the file's services are the ones that validated it
