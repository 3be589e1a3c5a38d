"""The invariants PostgreSQL enforces whatever code path runs (migration 0002_ledger_triggers):
balanced transactions, append-only rows, closed transactions, balances never negative."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from cpf.ledger import services
from cpf.ledger.models import Account, Entry, Transaction
from tests.ledger.support import credit, fund, new_holder


def sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def fire_deferred_checks() -> None:
    """What a commit does: run the deferred constraint triggers now."""
    sql("SET CONSTRAINTS ALL IMMEDIATE")


def insert_transaction(key: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_transaction (kind, idempotency_key, reference, details) "
            "VALUES ('yearly_credit', %s, '', '{}') RETURNING id",
            [key],
        )
        return cursor.fetchone()[0]


def insert_entries(transaction_id: int, *postings: tuple[int, int]) -> None:
    for account_id, amount in postings:
        sql(
            "INSERT INTO ledger_entry (transaction_id, account_id, amount_cents) VALUES (%s, %s, %s)",
            [transaction_id, account_id, amount],
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "amounts",
    [
        pytest.param([], id="no entry"),
        pytest.param([100], id="one entry"),
        pytest.param([100, -99], id="off by one"),
    ],
)
def test_an_unbalanced_transaction_is_refused_at_commit(amounts):
    account, other = services.holder_rights_account(new_holder()), fund()

    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        tx = insert_transaction("raw")
        insert_entries(tx, *zip([account.pk, other.pk], amounts, strict=False))
        fire_deferred_checks()

    assert Transaction.objects.count() == 0


@pytest.mark.django_db
def test_entries_in_several_statements_may_balance_by_the_end():
    account, other = services.holder_rights_account(new_holder()), fund()

    with transaction.atomic():
        tx = insert_transaction("raw")
        insert_entries(tx, (account.pk, 100))
        insert_entries(tx, (other.pk, -100))
        fire_deferred_checks()

    assert Entry.objects.filter(transaction_id=tx).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_entry SET amount_cents = amount_cents + 1",
        "DELETE FROM ledger_entry",
        "UPDATE ledger_transaction SET reference = 'rewritten'",
        "DELETE FROM ledger_transaction",
    ],
)
def test_ledger_rows_can_never_be_updated_or_deleted(statement):
    credit(services.holder_rights_account(new_holder()), 500_00, key="k")

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        sql(statement)

    assert sorted(Entry.objects.values_list("amount_cents", flat=True)) == [-500_00, 500_00]
    assert Transaction.objects.get().reference == "test"


@pytest.mark.django_db
def test_the_orm_cannot_rewrite_the_ledger_either():
    credit(services.holder_rights_account(new_holder()), 500_00, key="k")

    with pytest.raises(IntegrityError), transaction.atomic():
        Entry.objects.update(amount_cents=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transaction.objects.all().delete()

    assert Entry.objects.count() == 2


@pytest.mark.django_db
def test_a_holder_balance_can_never_be_negative():
    account = services.holder_rights_account(new_holder())

    with pytest.raises(IntegrityError, match="ledger_account_balance_never_negative"), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(balance_cents=-1)

    assert Account.objects.get(pk=account.pk).balance_cents == 0


@pytest.mark.django_db
def test_only_holder_and_provider_accounts_carry_a_balance():
    with pytest.raises(IntegrityError, match="owner_and_balance_by_kind"), transaction.atomic():
        Account.objects.filter(pk=fund().pk).update(balance_cents=0)


@pytest.mark.django_db(transaction=True, available_apps=["cpf.holders", "cpf.ledger"])
def test_a_real_commit_of_an_unbalanced_transaction_fails_and_leaves_nothing():
    account = services.holder_rights_account(new_holder())

    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        tx = insert_transaction("raw")
        insert_entries(tx, (account.pk, 100))

    assert (Transaction.objects.count(), Entry.objects.count()) == (0, 0)


@pytest.mark.django_db(transaction=True, available_apps=["cpf.holders", "cpf.ledger"])
def test_no_entry_can_be_added_to_a_committed_transaction():
    account = services.holder_rights_account(new_holder())
    committed = credit(account, 500_00, key="k").transaction

    with pytest.raises(IntegrityError, match="already recorded"), transaction.atomic():
        insert_entries(committed.pk, (account.pk, 100), (fund().pk, -100))

    assert committed.entries.count() == 2
