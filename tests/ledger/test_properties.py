"""Property: whatever sequence of ledger operations runs (credits, spending, grants, transfers,
replays, refused overdrafts), every transaction balances, every cached balance equals the sum of
its entries and none is negative (DESIGN.md section 3)."""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cpf.ledger import services
from cpf.ledger.enums import AccountKind, TransactionKind
from cpf.ledger.models import Account, Entry, Transaction
from cpf.ledger.reconcile import reconcile
from cpf.ledger.services import InsufficientBalance, Posting
from tests.ledger.support import fund, new_holder

HOLDERS = 3
holder_index = st.integers(min_value=0, max_value=HOLDERS - 1)
amount = st.integers(min_value=1, max_value=3_000_00)
operation = st.one_of(
    st.tuples(st.just("credit"), holder_index, amount),
    st.tuples(st.just("spend"), holder_index, amount),
    st.tuples(st.just("grant"), holder_index, amount),
    st.tuples(st.just("spend_grant"), holder_index, amount),
    st.tuples(st.just("transfer"), holder_index, holder_index, amount),
    st.tuples(st.just("replay")),
)


class _Rollback(Exception):
    """Undo one example's writes (a savepoint per example)."""


class Ledger:
    """The ledger under test and the balances a plain model of it expects."""

    def __init__(self) -> None:
        self.rights = [services.holder_rights_account(new_holder(serial)) for serial in range(HOLDERS)]
        self.fund = fund()
        self.funder = services.open_keyed_account(kind=AccountKind.FUNDER, key="funder:test", name="OPCO")
        # A counterpart without a cached balance (a provider's payable has one, card clearing is
        # proved against the registration files).
        self.payable = services.open_keyed_account(
            kind=AccountKind.FUNDER, key="funder:spent", name="Dépenses"
        )
        self.grants: dict[int, Account] = {}
        self.expected: dict[int, int] = defaultdict(int)
        self.last: tuple[str, list[Posting]] | None = None

    def post(self, key: str, *postings: tuple[Account, int]) -> None:
        entries = [Posting(account, cents) for account, cents in postings]
        counts = (Transaction.objects.count(), Entry.objects.count())
        try:
            services.post_transaction(
                kind=TransactionKind.GRANT, idempotency_key=key, entries=entries, reference="", actor=None
            )
        except InsufficientBalance:
            assert any(self.expected[a.pk] + c < 0 for a, c in postings if a.holder_id)
            assert (Transaction.objects.count(), Entry.objects.count()) == counts
            return
        for account, cents in postings:
            if account.holder_id:
                self.expected[account.pk] += cents
        self.last = (key, entries)

    def replay(self) -> None:
        if self.last is None:
            return
        key, entries = self.last
        counts = (Transaction.objects.count(), Entry.objects.count())
        posted = services.post_transaction(
            kind=TransactionKind.GRANT, idempotency_key=key, entries=entries, reference="", actor=None
        )
        assert not posted.created
        assert (Transaction.objects.count(), Entry.objects.count()) == counts

    def run(self, step: int, op: tuple) -> None:
        key = f"op-{step}"
        match op:
            case ("credit", h, cents):
                self.post(key, (self.rights[h], cents), (self.fund, -cents))
            case ("spend", h, cents):
                self.post(key, (self.rights[h], -cents), (self.payable, cents))
            case ("grant", h, cents):
                self.grants[h] = services.open_holder_grant_account(
                    holder=self.rights[h].holder, name="Dotation"
                )
                self.post(key, (self.grants[h], cents), (self.funder, -cents))
            case ("spend_grant", h, cents) if h in self.grants:
                self.post(key, (self.grants[h], -cents), (self.payable, cents))
            case ("transfer", source, target, cents) if source != target:
                self.post(key, (self.rights[source], -cents), (self.rights[target], cents))
            case ("replay",):
                self.replay()

    def check(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the commit-time checks, now
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        assert reconcile().ok
        for account_id, cents in self.expected.items():
            assert Account.objects.get(pk=account_id).balance_cents == cents >= 0
        assert Entry.objects.aggregate(total=Sum("amount_cents"))["total"] in (None, 0)


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, max_size=15))
def test_any_sequence_of_operations_keeps_the_ledger_sound(operations):
    try:
        with transaction.atomic():
            ledger = Ledger()
            for step, op in enumerate(operations):
                ledger.run(step, op)
            ledger.check()
            raise _Rollback
    except _Rollback:
        pass
