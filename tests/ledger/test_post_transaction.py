"""post_transaction: the single primitive of every money movement (DESIGN.md section 3)."""

from __future__ import annotations

import pytest

from cpf.ledger import services
from cpf.ledger.enums import TransactionKind
from cpf.ledger.models import Account, Entry, Transaction
from cpf.ledger.queries import holder_history, holder_history_count
from cpf.ledger.services import InsufficientBalance, Posting, UnbalancedTransaction
from tests.ledger.support import credit, fund, new_holder

pytestmark = pytest.mark.django_db


def test_a_credit_moves_money_from_the_fund_to_the_holder_and_caches_the_balance():
    account = services.holder_rights_account(new_holder())

    posted = credit(account, 500_00, key="credit:2025:1")

    account.refresh_from_db()
    assert posted.created is True
    assert account.balance_cents == 500_00
    assert sorted(posted.transaction.entries.values_list("amount_cents", flat=True)) == [-500_00, 500_00]


def test_the_same_key_twice_changes_nothing_and_returns_the_first_transaction():
    account = services.holder_rights_account(new_holder())
    first = credit(account, 500_00, key="credit:2025:1")

    second = credit(account, 500_00, key="credit:2025:1")

    account.refresh_from_db()
    assert (second.created, second.transaction.pk) == (False, first.transaction.pk)
    assert account.balance_cents == 500_00
    assert (Transaction.objects.count(), Entry.objects.count()) == (1, 2)


def test_a_debit_beyond_the_balance_is_refused_and_nothing_changes():
    account = services.holder_rights_account(new_holder())
    credit(account, 100_00, key="credit:2025:1")

    with pytest.raises(InsufficientBalance) as refused:
        credit(account, -100_01, key="debit:1")

    assert str(refused.value) == "Solde insuffisant : 100,00\u00a0€ disponibles, 100,01\u00a0€ demandés."
    account.refresh_from_db()
    assert account.balance_cents == 100_00
    assert (Transaction.objects.count(), Entry.objects.count()) == (1, 2)


def test_unbalanced_entries_are_refused_before_reaching_the_database():
    account = services.holder_rights_account(new_holder())

    with pytest.raises(UnbalancedTransaction):
        services.post_transaction(
            kind=TransactionKind.YEARLY_CREDIT,
            idempotency_key="bad",
            entries=[Posting(account, 500_00), Posting(fund(), -400_00)],
            reference="",
            actor=None,
        )

    assert Transaction.objects.count() == 0
    assert Account.objects.get(pk=account.pk).balance_cents == 0


def test_the_history_lists_the_holders_transactions_newest_first():
    holder = new_holder()
    account = services.holder_rights_account(holder)
    credit(account, 500_00, key="credit:2024:1", period=2024)
    credit(account, 250_00, key="credit:2025:1", period=2025)

    lines = holder_history(holder)

    assert [(line.label, line.amount_cents, line.year, line.rate_cents) for line in lines] == [
        ("Droits acquis au titre de 2025", 250_00, 2025, 500_00),
        ("Droits acquis au titre de 2024", 500_00, 2024, 500_00),
    ]
    assert holder_history_count(holder) == 2
    assert [line.year for line in holder_history(holder, limit=1, offset=1)] == [2024]
