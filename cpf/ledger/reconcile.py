"""Reconciliation of the ledger (DESIGN.md section 3): every cached balance equals the sum of
its account's entries, no balance is negative, every transaction has at least two entries
summing to zero."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection


@dataclass(frozen=True)
class BalanceDifference:
    account_id: int
    cached_cents: int
    entries_cents: int


@dataclass(frozen=True)
class UnbalancedRow:
    transaction_id: int
    entries: int
    sum_cents: int


@dataclass
class Reconciliation:
    accounts_checked: int = 0
    transactions_checked: int = 0
    differences: list[BalanceDifference] = field(default_factory=list)
    unbalanced: list[UnbalancedRow] = field(default_factory=list)
    negative: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.differences or self.unbalanced or self.negative)


def reconcile() -> Reconciliation:
    """Check the whole ledger in three set-based queries."""
    result = Reconciliation()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.id, a.balance_cents, coalesce(s.total, 0)
            FROM ledger_account a
            LEFT JOIN (SELECT account_id, sum(amount_cents) AS total FROM ledger_entry GROUP BY account_id) s
                ON s.account_id = a.id
            WHERE a.balance_cents IS NOT NULL
            """
        )
        for account_id, cached, total in cursor.fetchall():
            result.accounts_checked += 1
            if cached != total:
                result.differences.append(BalanceDifference(account_id, int(cached), int(total)))
            if cached < 0:
                result.negative.append(account_id)
        cursor.execute(
            """
            SELECT t.id, count(e.id), coalesce(sum(e.amount_cents), 0)
            FROM ledger_transaction t LEFT JOIN ledger_entry e ON e.transaction_id = t.id
            GROUP BY t.id
            HAVING count(e.id) < 2 OR coalesce(sum(e.amount_cents), 0) <> 0
            """
        )
        result.unbalanced = [UnbalancedRow(int(t), int(n), int(s)) for t, n, s in cursor.fetchall()]
        cursor.execute("SELECT count(*) FROM ledger_transaction")
        result.transactions_checked = int(cursor.fetchone()[0])
    return result
