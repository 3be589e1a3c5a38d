"""A replayed idempotency key is accepted only with the same kind and the same postings; the
accounts of the registration files (reserved, credit note, payable) keep their rules; the
reconciliation sees a file whose money the ledger does not hold."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from cpf.ledger import services
from cpf.ledger.enums import AccountKind, TransactionKind
from cpf.ledger.models import Account, Entry, Transaction
from cpf.ledger.reconcile import reconcile
from cpf.ledger.services import IdempotencyKeyReused, InsufficientBalance, Posting
from tests.factories import ProviderFactory
from tests.ledger.support import credit, fund, new_holder

pytestmark = pytest.mark.django_db


def reserve(rights: Account, reserved: Account, cents: int, *, key: str = "registration:1:reserve:1"):
    return services.post_transaction(
        kind=TransactionKind.RESERVATION,
        idempotency_key=key,
        entries=[Posting(rights, -cents), Posting(reserved, cents)],
        reference="test",
        actor=None,
    )


def counts() -> tuple:
    return (
        Transaction.objects.count(),
        Entry.objects.count(),
        sorted(Account.objects.values_list("pk", "balance_cents")),
    )


def test_the_same_postings_replayed_are_recorded_once():
    holder = new_holder()
    rights, reserved = services.holder_rights_account(holder), services.holder_reserved_account(holder)
    credit(rights, 500_00, key="credit")
    first = reserve(rights, reserved, 200_00)
    before = counts()

    again = reserve(rights, reserved, 200_00)

    assert (first.created, again.created, again.transaction.pk) == (True, False, first.transaction.pk)
    assert counts() == before


@pytest.mark.parametrize("change", ["amount", "account"])
def test_a_replayed_key_with_other_postings_is_refused_and_changes_nothing(change):
    holder = new_holder()
    rights, reserved = services.holder_rights_account(holder), services.holder_reserved_account(holder)
    credit(rights, 500_00, key="credit")
    reserve(rights, reserved, 200_00)
    before = counts()

    with pytest.raises(IdempotencyKeyReused):
        if change == "amount":
            reserve(rights, reserved, 201_00)
        else:
            reserve(rights, services.holder_credit_note_account(holder), 200_00)

    assert counts()[:2] == before[:2]
    assert Account.objects.get(pk=rights.pk).balance_cents == 300_00


def test_reserved_credit_note_and_payable_are_one_per_owner_and_never_negative():
    holder, provider = new_holder(), ProviderFactory()
    assert services.holder_reserved_account(holder) == services.holder_reserved_account(holder)
    assert services.holder_credit_note_account(holder) == services.holder_credit_note_account(holder)
    payable = services.provider_payable_account(provider)
    assert payable == services.provider_payable_account(provider)
    assert (payable.provider_id, payable.holder_id, payable.balance_cents) == (provider.pk, None, 0)

    with pytest.raises(InsufficientBalance):
        services.post_transaction(
            kind=TransactionKind.SERVICE_DONE_SETTLEMENT,
            idempotency_key="take-from-payable",
            entries=[Posting(payable, -1), Posting(fund(), 1)],
            reference="test",
            actor=None,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(kind=AccountKind.PROVIDER_PAYABLE, provider=None, balance_cents=0, key="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(kind=AccountKind.HOLDER_RESERVED, holder=holder, balance_cents=0)


def test_a_reservation_no_file_holds_is_reported():
    holder = new_holder()
    rights, reserved = services.holder_rights_account(holder), services.holder_reserved_account(holder)
    credit(rights, 500_00, key="credit")
    assert reconcile().ok

    reserve(rights, reserved, 200_00)

    result = reconcile()
    assert not result.ok
    assert [(d.what, d.owner_id, d.ledger_cents, d.files_cents) for d in result.file_differences] == [
        ("reserved", holder.pk, 200_00, 0)
    ]


def test_card_money_no_file_holds_is_reported():
    services.post_transaction(
        kind=TransactionKind.CARD_CAPTURE,
        idempotency_key="psp:pi_orphan",
        entries=[
            Posting(services.system_account(AccountKind.OPERATOR_BANK), -10_00),
            Posting(services.system_account(AccountKind.CARD_CLEARING), 10_00),
        ],
        reference="test",
        actor=None,
    )

    assert [(d.what, d.ledger_cents, d.files_cents) for d in reconcile().file_differences] == [
        ("card_clearing", 10_00, 0)
    ]
