"""The ledger's locks with real parallel connections: no overdraft, no double posting, no
deadlock between opposite transfers (ascending account id lock order)."""

from __future__ import annotations

import pytest

from cpf.ledger import services
from cpf.ledger.enums import TransactionKind
from cpf.ledger.models import Account, Transaction
from cpf.ledger.reconcile import reconcile
from cpf.ledger.services import InsufficientBalance, Posting
from tests.ledger.support import credit, new_holder, run_in_parallel

pytestmark = pytest.mark.django_db(transaction=True, available_apps=["cpf.holders", "cpf.ledger"])


def test_two_debits_at_once_cannot_overdraw_the_account():
    account = services.holder_rights_account(new_holder())
    credit(account, 500_00, key="credit")
    keys = iter(["debit-1", "debit-2"])

    results, errors = run_in_parallel(lambda: credit(account, -400_00, key=next(keys)))

    assert len(results) == 1
    assert [type(error) for error in errors] == [InsufficientBalance]
    assert Account.objects.get(pk=account.pk).balance_cents == 100_00
    assert reconcile().ok


def test_the_same_operation_submitted_twice_at_once_is_recorded_once():
    account = services.holder_rights_account(new_holder())

    results, errors = run_in_parallel(lambda: credit(account, 500_00, key="same"))

    assert errors == []
    assert sorted(posted.created for posted in results) == [False, True]
    assert len({posted.transaction.pk for posted in results}) == 1
    assert Account.objects.get(pk=account.pk).balance_cents == 500_00
    assert Transaction.objects.count() == 1


def test_opposite_transfers_at_once_do_not_deadlock():
    first = services.holder_rights_account(new_holder(1))
    second = services.holder_rights_account(new_holder(2))
    credit(first, 1_000_00, key="a")
    credit(second, 1_000_00, key="b")
    directions = iter([(first, second), (second, first)])

    def transfers() -> int:
        source, target = next(directions)
        for step in range(15):
            services.post_transaction(
                kind=TransactionKind.GRANT,
                idempotency_key=f"transfer-{source.pk}-{step}",
                entries=[Posting(source, -10_00), Posting(target, 10_00)],
                reference="",
                actor=None,
            )
        return step

    results, errors = run_in_parallel(transfers)

    assert (results, errors) == ([14, 14], [])
    assert sorted(
        Account.objects.filter(pk__in=[first.pk, second.pk]).values_list("balance_cents", flat=True)
    ) == [
        1_000_00,
        1_000_00,
    ]
    assert reconcile().ok
