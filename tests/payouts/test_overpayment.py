"""An advance paid beyond what the settled file gives the provider (rules 20, 22; docs/adr/0020):
the settlement records the overpayment in the provider's receivable, the next payment runs
deduct it from what they pay, once; the statement and the dashboard show it."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from cpf.accounts.enums import AgentRole
from cpf.bookings import services
from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import Registration
from cpf.invoicing.enums import VatRate
from cpf.invoicing.services import issue_invoice
from cpf.ledger.enums import AccountKind, TransactionKind
from cpf.ledger.models import Account, Entry, Transaction
from cpf.ledger.reconcile import reconcile
from cpf.payouts import sepa
from cpf.payouts.enums import ItemKind, TransferStatus
from cpf.payouts.models import PayoutItem, Transfer
from cpf.payouts.queries import dashboard, provider_debt
from cpf.payouts.services import PayoutError, reject_transfer
from tests.accounts.factories import member_of
from tests.accounts.support import agent_with_roles, login_agent
from tests.bookings.money_support import PRICE, paris

from .support import ADVANCE, LONG_END, long_file, paid_out, payable_of, provider_of, run, validated_file

pytestmark = pytest.mark.django_db

END = paris(2027, 7, 5)
LATER = END + datetime.timedelta(days=1)


def declared(
    registration: Registration, *, hours: int, reason: str, force_majeure: bool = False
) -> Registration:
    """The long file's holder leaves after ``hours`` of 100; the service done is declared."""
    registration = services.declare_exit(
        registration=registration, actor=None, exit_date=LONG_END, reason_code=reason, now=END
    )
    registration = services.declare_service_done(
        registration=registration,
        actor=None,
        hours_done=hours,
        exit_reason=reason,
        force_majeure=force_majeure,
        now=END,
    )
    return registration


def settled(
    registration: Registration, *, hours: int, reason: str, force_majeure: bool = False
) -> Registration:
    """The long file's service done (``hours`` of 100) declared, then validated."""
    registration = declared(registration, hours=hours, reason=reason, force_majeure=force_majeure)
    return services.validate_service_done(registration=registration, actor=None, now=END)


def debt_of(provider) -> int:
    account = Account.objects.filter(kind=AccountKind.PROVIDER_RECEIVABLE, provider=provider).first()
    return -(account.balance_cents or 0) if account else 0


@pytest.mark.parametrize(
    ("hours", "reason", "force_majeure", "owed"),
    [
        (10, "holder_fault", False, PRICE * 25 // 100),  # under 25 %: the provider earns 25 %
        (90, "provider_fault", False, 0),  # its fault, no postponement: nothing
        (10, "holder_fault", True, PRICE * 10 // 100),  # force majeure: pro rata, the rest re-credited
    ],
    ids=["holder-fault-under-25", "provider-fault", "force-majeure"],
)
def test_a_settlement_below_the_advance_paid_records_the_overpayment_as_the_providers_debt(
    hours, reason, force_majeure, owed
):
    registration = long_file()
    provider = provider_of(registration)
    run("daily:2027-04-02")  # the advance, €300, paid
    assert payable_of(provider) == PRICE - ADVANCE

    registration = settled(registration, hours=hours, reason=reason, force_majeure=force_majeure)

    assert registration.status == RegistrationStatus.SERVICE_DONE_VALIDATED
    assert registration.provider_due_cents == owed
    assert registration.provider_overpaid_cents == ADVANCE - owed
    assert debt_of(provider) == ADVANCE - owed
    assert payable_of(provider) == 0
    settlement = Transaction.objects.get(kind=TransactionKind.SERVICE_DONE_SETTLEMENT)
    receivable = Entry.objects.get(transaction=settlement, account__kind=AccountKind.PROVIDER_RECEIVABLE)
    assert receivable.amount_cents == -(ADVANCE - owed)
    assert provider_debt(provider.pk).outstanding_cents == ADVANCE - owed
    # nothing more is due for the file: no run pays it again
    assert run("daily:2027-07-06", at=LATER).transfer_count == 0
    assert reconcile().ok, reconcile()


def test_an_advance_only_due_is_reduced_and_no_debt_is_recorded():
    registration = long_file()
    provider = provider_of(registration)

    registration = settled(registration, hours=10, reason="holder_fault")  # 25 %, the advance not paid

    assert registration.provider_due_cents == PRICE * 25 // 100
    assert registration.provider_overpaid_cents == 0
    assert debt_of(provider) == 0
    issue_invoice(
        provider=provider,
        registration=registration,
        number="F-LONG",
        amount_cents=registration.provider_due_cents,
        vat_rate=VatRate.EXEMPT,
        issued_on=END.date(),
        actor=None,
        now=END,
    )
    payout = run("daily:2027-07-06", at=LATER)
    assert list(PayoutItem.objects.values_list("kind", "amount_cents")) == [
        (ItemKind.BALANCE, PRICE * 25 // 100)
    ]
    assert payout.total_cents == PRICE * 25 // 100 and payable_of(provider) == 0
    assert reconcile().ok, reconcile()


def test_the_next_run_deducts_the_debt_from_what_it_pays_once():
    registration = long_file()
    provider = provider_of(registration)
    run("daily:2027-04-02")
    settled(registration, hours=10, reason="holder_fault")  # debt €50
    debt = ADVANCE - PRICE * 25 // 100
    other = validated_file(provider)  # €1,000 owed for another file

    payout = run("daily:2027-07-06", at=LATER)

    transfer = payout.transfers.get()
    assert (transfer.amount_cents, transfer.recovered_cents) == (PRICE - debt, debt)
    assert transfer.status == TransferStatus.SENT
    assert PayoutItem.objects.get(registration=other).amount_cents == PRICE  # the file is paid in full
    assert payout.total_cents == PRICE - debt
    assert sepa.control_sum_cents(payout.xml.encode()) == PRICE - debt
    assert debt_of(provider) == 0 and payable_of(provider) == 0
    posted = Transaction.objects.get(idempotency_key=f"payout:{transfer.end_to_end_id}")
    assert sorted(posted.entries.values_list("account__kind", "amount_cents")) == sorted(
        [
            (AccountKind.PROVIDER_PAYABLE, -PRICE),
            (AccountKind.PAYOUT_CLEARING, PRICE - debt),
            (AccountKind.PROVIDER_RECEIVABLE, debt),
        ]
    )
    # the same run again, and a later one: nothing paid nor recovered twice
    assert run("daily:2027-07-06", at=LATER).pk == payout.pk
    assert run("daily:2027-07-07", at=LATER + datetime.timedelta(days=1)).transfer_count == 0
    assert Transfer.objects.count() == 2 and paid_out() == ADVANCE + PRICE - debt  # the advance, this one
    assert provider_debt(provider.pk).recovered_cents == debt
    assert reconcile().ok, reconcile()


def test_a_debt_larger_than_what_is_due_nets_the_transfer_which_is_not_sent():
    registration = long_file()
    provider = provider_of(registration)
    run("daily:2027-04-02")
    settled(registration, hours=90, reason="provider_fault")  # debt €300
    validated_file(provider, hours=10)  # €250 owed (25 %), less than the debt
    someone_else = validated_file()

    payout = run("daily:2027-07-06", at=LATER)

    netted = payout.transfers.get(provider=provider)
    assert (netted.status, netted.amount_cents, netted.recovered_cents) == (
        TransferStatus.NETTED,
        0,
        PRICE // 4,
    )
    assert debt_of(provider) == ADVANCE - PRICE // 4 and payable_of(provider) == 0
    assert payout.transfer_count == 1 and payout.total_cents == PRICE  # only the other provider is sent
    assert netted.end_to_end_id not in payout.xml
    assert sepa.control_sum_cents(payout.xml.encode()) == PRICE
    assert provider_of(someone_else).pk == payout.transfers.get(status=TransferStatus.SENT).provider_id
    with pytest.raises(PayoutError):
        reject_transfer(transfer=netted, reason="AC01", actor=None, now=LATER)
    assert reconcile().ok, reconcile()


def test_a_returned_transfer_gives_back_the_debt_it_recovered():
    registration = long_file()
    provider = provider_of(registration)
    run("daily:2027-04-02")
    settled(registration, hours=10, reason="holder_fault")
    debt = ADVANCE - PRICE * 25 // 100
    validated_file(provider)
    transfer = run("daily:2027-07-06", at=LATER).transfers.get()

    reject_transfer(transfer=transfer, reason="Compte clôturé", actor=None, now=LATER)

    assert debt_of(provider) == debt and payable_of(provider) == PRICE
    assert provider_debt(provider.pk).recovered_cents == 0
    assert reconcile().ok, reconcile()


def test_the_statement_and_the_dashboard_show_the_debt():
    registration = long_file()
    provider = provider_of(registration)
    run("daily:2027-04-02")
    settled(registration, hours=90, reason="provider_fault")
    member = Client()
    member.force_login(member_of(provider, "compta@organisme.example"))
    agent = Client()
    login_agent(agent, agent_with_roles("agent-payments", AgentRole.PAYMENTS))

    page = member.get(reverse("www:provider:statement", args=[provider.pk])).content.decode()
    board = agent.get(reverse("admin:payouts_dashboard")).content.decode()

    assert 'id="debt"' in page and "300,00" in page and f"N° {registration.pk}" in page
    assert "Trop-perçus à recouvrer" in board and provider.legal_name in board
    assert dashboard(today=LATER.date()).debt_cents == ADVANCE
