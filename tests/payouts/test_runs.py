"""The payment run (rules 20, 23, 26): what it pays, to whom, once; the ledger's side."""

from __future__ import annotations

import datetime

import pytest

from cpf.bookings import services
from cpf.invoicing.enums import InvoiceStatus, VatRate
from cpf.invoicing.models import Invoice
from cpf.invoicing.services import issue_invoice
from cpf.ledger.enums import TransactionKind
from cpf.ledger.models import Transaction
from cpf.ledger.reconcile import reconcile
from cpf.payouts import sepa
from cpf.payouts.enums import ItemKind
from cpf.payouts.models import PayoutItem, PayoutRun, Transfer
from cpf.payouts.queries import dashboard
from cpf.payouts.tasks import daily_run_task
from cpf.providers.bank_details import bank_details_in_force
from cpf.providers.enums import ProviderStatus
from cpf.providers.models import Provider
from tests.bookings.money_support import PRICE, paris
from tests.factories import BankDetailsFactory, ProviderFactory

from .support import (
    ADVANCE,
    LONG_END,
    RUN_AT,
    invoice,
    long_file,
    paid_out,
    payable_of,
    provider_of,
    run,
    validated_file,
)

pytestmark = pytest.mark.django_db


def test_a_run_pays_each_provider_its_validated_services_in_one_transfer_posted_in_the_ledger():
    first = validated_file()
    provider = provider_of(first)
    second = validated_file(provider, hours=50)  # 50 %: paid pro rata, €500
    other = validated_file()

    payout = run()

    transfers = {t.provider_id: t for t in Transfer.objects.filter(run=payout)}
    assert {p: t.amount_cents for p, t in transfers.items()} == {
        provider.pk: PRICE + PRICE // 2,
        provider_of(other).pk: PRICE,
    }
    assert sorted(PayoutItem.objects.values_list("registration_id", "kind", "amount_cents")) == sorted(
        [
            (first.pk, ItemKind.BALANCE, PRICE),
            (second.pk, ItemKind.BALANCE, PRICE // 2),
            (other.pk, ItemKind.BALANCE, PRICE),
        ]
    )
    assert (payout.transfer_count, payout.item_count, payout.total_cents) == (2, 3, 2 * PRICE + PRICE // 2)
    assert payable_of(provider) == 0 and payable_of(provider_of(other)) == 0
    payouts = Transaction.objects.filter(kind=TransactionKind.PAYOUT)
    assert sorted(payouts.values_list("idempotency_key", flat=True)) == sorted(
        f"payout:{t.end_to_end_id}" for t in transfers.values()
    )
    assert sepa.control_sum_cents(payout.xml.encode()) == paid_out() == payout.total_cents
    assert reconcile().ok, reconcile()


def test_the_transfer_goes_to_the_bank_details_in_force_at_the_run():
    registration = validated_file()
    provider = provider_of(registration)
    in_force = bank_details_in_force(provider=provider, on=RUN_AT)
    # new details verified the day before: still in their waiting period at the run
    BankDetailsFactory(
        provider=provider,
        verified_at=RUN_AT - datetime.timedelta(days=1),
        effective_from=RUN_AT + datetime.timedelta(days=4),
    )

    run()

    transfer = Transfer.objects.get()
    assert (transfer.bank_details_id, transfer.iban, transfer.bic) == (
        in_force.pk,
        in_force.iban,
        in_force.bic,
    )


def test_an_advance_is_paid_at_entry_and_the_balance_after_the_validated_service():
    registration = long_file()
    provider = provider_of(registration)

    first = run("daily:2027-04-02")

    assert list(PayoutItem.objects.values_list("kind", "amount_cents")) == [(ItemKind.ADVANCE, ADVANCE)]
    assert payable_of(provider) == PRICE - ADVANCE
    assert first.total_cents == ADVANCE
    # a second run the next day: the advance is not paid again
    second = run("daily:2027-04-03", at=RUN_AT + datetime.timedelta(days=1))
    assert second.transfer_count == 0 and second.xml == ""
    assert PayoutItem.objects.count() == 1
    assert reconcile().ok, reconcile()


def test_nothing_is_paid_to_a_provider_without_bank_details_in_force_or_whose_payments_are_suspended():
    without = validated_file(ProviderFactory(iban=""))
    suspended = validated_file()
    Provider.objects.filter(pk=provider_of(suspended).pk).update(status=ProviderStatus.SUSPENDED)  # rule 26

    payout = run()

    assert payout.transfer_count == 0
    assert PayoutItem.objects.count() == 0
    assert payable_of(provider_of(without)) == PRICE == payable_of(provider_of(suspended))
    board = dashboard(today=datetime.date(2027, 4, 2))
    assert (board.due_count, board.due_cents) == (2, 2 * PRICE)
    assert reconcile().ok


def test_the_same_run_started_twice_is_recorded_once_and_pays_once():
    validated_file()
    first = run("daily:2027-04-02")
    second = run("daily:2027-04-02")
    third = run("agent:1:later")

    assert second.pk == first.pk
    assert third.transfer_count == 0
    assert PayoutRun.objects.count() == 2
    assert Transfer.objects.count() == 1 and PayoutItem.objects.count() == 1
    assert paid_out() == PRICE
    assert reconcile().ok


def test_the_dashboard_counts_what_is_due_overdue_and_paid():
    paid = validated_file()
    run()
    late = validated_file()
    Provider.objects.filter(pk=provider_of(late).pk).update(status=ProviderStatus.SUSPENDED)

    # 31 March + 30 days = 30 April: due until then, overdue from 1 May
    on_time = dashboard(today=datetime.date(2027, 4, 30))
    overdue = dashboard(today=datetime.date(2027, 5, 1))

    assert (on_time.due_count, on_time.due_cents, on_time.overdue_count) == (1, PRICE, 0)
    assert (overdue.overdue_count, overdue.overdue_cents) == (1, PRICE)
    assert [line.registration_id for line in overdue.due] == [late.pk]
    assert overdue.due[0].due_on == datetime.date(2027, 4, 30)
    assert (overdue.paid_count, overdue.paid_cents) == (1, PRICE)
    assert paid.pk != late.pk


@pytest.mark.parametrize(
    "at, execution",
    [
        # Thursday 25 March 2027: Friday 26 is Good Friday, Monday 29 Easter Monday
        (datetime.datetime(2027, 3, 25, 8, tzinfo=datetime.UTC), datetime.date(2027, 3, 30)),
        # Thursday 24 December 2026: 25 and 26 December closed, then a Sunday
        (datetime.datetime(2026, 12, 24, 8, tzinfo=datetime.UTC), datetime.date(2026, 12, 28)),
        # Thursday 30 April 2026: 1 May is closed
        (datetime.datetime(2026, 4, 30, 8, tzinfo=datetime.UTC), datetime.date(2026, 5, 4)),
        # Wednesday 31 December 2025 at 23:30 in Paris: already 1 January there, TARGET2 closed
        (datetime.datetime(2025, 12, 31, 22, 30, tzinfo=datetime.UTC), datetime.date(2026, 1, 2)),
    ],
)
def test_the_execution_date_is_the_next_target2_business_day(at, execution):
    payout = run(f"agent:1:{at.isoformat()}", at=at)

    assert payout.execution_date == execution
    assert sepa.is_target2_business_day(execution)


def test_a_validated_service_is_paid_once_invoiced_and_the_invoice_is_marked_paid():
    waiting = validated_file(invoiced=False)

    assert run("daily:2027-04-02").transfer_count == 0  # no invoice yet: nothing to pay
    bill = invoice(waiting, amount_cents=900_00)  # the provider invoices less than it is owed
    payout = run("daily:2027-04-03", at=RUN_AT + datetime.timedelta(days=1))

    transfer = payout.transfers.get()
    assert transfer.amount_cents == 900_00
    assert PayoutItem.objects.get().invoice == bill
    paid = Invoice.objects.get(pk=bill.pk)
    assert (paid.status, paid.payout_reference) == (InvoiceStatus.PAID, f"payout_line:{transfer.pk}")
    assert list(paid.transitions.values_list("from_status", "to_status"))[-1] == ("validated", "paid")
    assert payable_of(provider_of(waiting)) == PRICE - 900_00
    assert reconcile().ok, reconcile()


def test_the_balance_of_an_invoice_is_what_the_advance_did_not_pay():
    registration = long_file()
    run("daily:2027-04-02")  # the advance, €300
    end = paris(2027, 7, 5)
    registration = services.declare_exit(
        registration=registration, actor=None, exit_date=LONG_END, reason_code="completed", now=end
    )
    registration = services.declare_service_done(
        registration=registration,
        actor=None,
        hours_done=100,
        exit_reason="completed",
        force_majeure=False,
        now=end,
    )
    registration = services.validate_service_done(registration=registration, actor=None, now=end)
    issue_invoice(
        provider=provider_of(registration),
        registration=registration,
        number="F-LONG",
        amount_cents=PRICE,
        vat_rate=VatRate.EXEMPT,
        issued_on=end.date(),
        actor=None,
        now=end,
    )

    payout = run("daily:2027-07-06", at=end + datetime.timedelta(days=1))

    assert payout.transfers.get().amount_cents == PRICE - ADVANCE
    assert sorted(PayoutItem.objects.values_list("kind", "amount_cents")) == [
        (ItemKind.ADVANCE, ADVANCE),
        (ItemKind.BALANCE, PRICE - ADVANCE),
    ]
    assert payable_of(provider_of(registration)) == 0
    assert reconcile().ok, reconcile()


def test_the_daily_task_runs_once_per_french_day():
    validated_file()
    timestamp = int(RUN_AT.timestamp())

    first = daily_run_task(timestamp)
    again = daily_run_task(timestamp + 3600)

    assert first == again
    run_row = PayoutRun.objects.get()
    assert (run_row.key, run_row.trigger, run_row.total_cents) == ("daily:2027-04-02", "daily", PRICE)
