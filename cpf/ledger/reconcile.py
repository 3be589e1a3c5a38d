"""Reconciliation of the ledger (DESIGN.md section 3): every cached balance equals the sum of
its account's entries, no balance is negative (no receivable positive), every transaction has
at least two entries summing to zero; and the money held for registration files is what the
files say they hold (rules 14, 19 to 22, docs/adr/0013):

- each holder's reserved account equals the sum of ``reserved_cents`` of that holder's files
  (rights, grants and credit notes reserved at acceptance, not yet debited or given back);
- card clearing equals the card money the files still hold (``card_held_cents``: captured, not
  yet passed on at entry) plus the refunds decided and not yet sent (``CardRefundDue`` rows not
  done; a refund sent posts ``card_refund`` and marks its row done in one transaction);
- each provider's payable equals the sum of ``provider_due_cents`` of its files (what entry
  and the settlements passed on to it) less what was paid out of it for them (the payout items
  of transfers not returned by the bank; rules 20, 23, ``cpf.payouts``);
- each provider's receivable equals, negated, the overpaid advances its files recorded
  (``provider_overpaid_cents``) less what transfers not returned recovered (docs/adr/0020);
  the payable counts an overpaid file's ``provider_overpaid_cents`` as given to it then paid;
- payout clearing equals the transfers sent and not returned; each transfer plus what it
  recovered equals the sum of its items, and each payment run the sum of its transfers.

The files' side is read with SQL on the bookings tables: the proof is that the two sides,
written by different code, agree."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from .enums import NEVER_POSITIVE_ACCOUNT_KINDS


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


@dataclass(frozen=True)
class FileDifference:
    """A balance that differs from what the registration files hold. ``what`` is
    ``reserved`` (``owner_id``: the holder), ``payable`` (the provider), ``card_clearing`` or
    ``payout_clearing`` (no owner: 0), ``transfer`` or ``payout_run`` (the transfer, the run:
    its amount against the sum of its parts)."""

    what: str
    owner_id: int
    ledger_cents: int
    files_cents: int


@dataclass
class Reconciliation:
    accounts_checked: int = 0
    transactions_checked: int = 0
    differences: list[BalanceDifference] = field(default_factory=list)
    unbalanced: list[UnbalancedRow] = field(default_factory=list)
    negative: list[int] = field(default_factory=list)
    file_differences: list[FileDifference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.differences or self.unbalanced or self.negative or self.file_differences)


def reconcile() -> Reconciliation:
    """Check the whole ledger in set-based queries."""
    result = Reconciliation()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.id, a.kind, a.balance_cents, coalesce(s.total, 0)
            FROM ledger_account a
            LEFT JOIN (SELECT account_id, sum(amount_cents) AS total FROM ledger_entry GROUP BY account_id) s
                ON s.account_id = a.id
            WHERE a.balance_cents IS NOT NULL
            """
        )
        for account_id, kind, cached, total in cursor.fetchall():
            result.accounts_checked += 1
            if cached != total:
                result.differences.append(BalanceDifference(account_id, int(cached), int(total)))
            wrong_sign = cached > 0 if kind in NEVER_POSITIVE_ACCOUNT_KINDS else cached < 0
            if wrong_sign:
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
    result.file_differences = [
        *_reserved_differences(),
        *_payable_differences(),
        *_receivable_differences(),
        *_clearing_differences(),
        *_payout_differences(),
    ]
    return result


def _reserved_differences() -> list[FileDifference]:
    """Per holder: the reserved account's balance against the files' ``reserved_cents``."""
    return _differences(
        "reserved",
        """
        SELECT coalesce(l.owner, f.owner), coalesce(l.cents, 0), coalesce(f.cents, 0)
        FROM (SELECT holder_id AS owner, balance_cents AS cents FROM ledger_account
              WHERE kind = 'holder_reserved') l
        FULL JOIN (SELECT holder_id AS owner, sum(reserved_cents) AS cents FROM bookings_registration
                   WHERE reserved_cents <> 0 GROUP BY holder_id) f ON f.owner = l.owner
        WHERE coalesce(l.cents, 0) <> coalesce(f.cents, 0)
        """,
    )


def _payable_differences() -> list[FileDifference]:
    """Per provider: the payable's balance against its files' ``provider_due_cents``."""
    return _differences(
        "payable",
        """
        SELECT coalesce(l.owner, f.owner), coalesce(l.cents, 0), coalesce(f.cents, 0)
        FROM (SELECT provider_id AS owner, balance_cents AS cents FROM ledger_account
              WHERE kind = 'provider_payable') l
        FULL JOIN (SELECT owner, sum(cents) AS cents FROM (
                       SELECT t.provider_id AS owner,
                           r.provider_due_cents + r.provider_overpaid_cents AS cents
                       FROM bookings_registration r
                       JOIN catalogue_action a ON a.id = r.action_id
                       JOIN catalogue_training t ON t.id = a.training_id
                       WHERE r.provider_due_cents <> 0 OR r.provider_overpaid_cents <> 0
                       UNION ALL
                       SELECT x.provider_id, -i.amount_cents
                       FROM payouts_payoutitem i JOIN payouts_transfer x ON x.id = i.transfer_id
                       WHERE NOT i.returned
                   ) due GROUP BY owner) f ON f.owner = l.owner
        WHERE coalesce(l.cents, 0) <> coalesce(f.cents, 0)
        """,
    )


def _receivable_differences() -> list[FileDifference]:
    """Per provider: the receivable's balance (never positive) against the overpayments its
    files recorded (``provider_overpaid_cents``) less what the transfers not returned recovered
    (``recovered_cents``; docs/adr/0020)."""
    return _differences(
        "receivable",
        """
        SELECT coalesce(l.owner, f.owner), coalesce(l.cents, 0), coalesce(f.cents, 0)
        FROM (SELECT provider_id AS owner, balance_cents AS cents FROM ledger_account
              WHERE kind = 'provider_receivable') l
        FULL JOIN (SELECT owner, sum(cents) AS cents FROM (
                       SELECT t.provider_id AS owner, -r.provider_overpaid_cents AS cents
                       FROM bookings_registration r
                       JOIN catalogue_action a ON a.id = r.action_id
                       JOIN catalogue_training t ON t.id = a.training_id
                       WHERE r.provider_overpaid_cents <> 0
                       UNION ALL
                       SELECT x.provider_id, x.recovered_cents FROM payouts_transfer x
                       WHERE x.recovered_cents <> 0 AND x.status <> 'rejected'
                   ) owed GROUP BY owner) f ON f.owner = l.owner
        WHERE coalesce(l.cents, 0) <> coalesce(f.cents, 0)
        """,
    )


def _payout_differences() -> list[FileDifference]:
    """Payout clearing against the transfers sent (``payout_clearing``, no owner); each
    transfer against its items (``transfer``, the transfer) and each run against its transfers
    (``payout_run``, the run). A returned transfer's items are marked returned and its amount
    taken out of clearing by the same transaction."""
    return (
        _differences(
            "payout_clearing",
            """
        SELECT 0, l.cents, f.cents FROM
            (SELECT coalesce(sum(e.amount_cents), 0) AS cents FROM ledger_entry e
             JOIN ledger_account a ON a.id = e.account_id WHERE a.kind = 'payout_clearing') l,
            (SELECT coalesce(sum(amount_cents), 0) AS cents FROM payouts_transfer WHERE status = 'sent') f
        WHERE l.cents <> f.cents
        """,
        )
        + _differences(
            "transfer",
            """
        SELECT x.id, x.amount_cents + x.recovered_cents, coalesce(sum(i.amount_cents), 0)
        FROM payouts_transfer x LEFT JOIN payouts_payoutitem i ON i.transfer_id = x.id
        GROUP BY x.id HAVING x.amount_cents + x.recovered_cents <> coalesce(sum(i.amount_cents), 0)
        """,
        )
        + _differences(
            "payout_run",
            """
        SELECT r.id, r.total_cents, coalesce(sum(x.amount_cents), 0)
        FROM payouts_payoutrun r LEFT JOIN payouts_transfer x ON x.run_id = r.id
        GROUP BY r.id HAVING r.total_cents <> coalesce(sum(x.amount_cents), 0)
        """,
        )
    )


def _clearing_differences() -> list[FileDifference]:
    """Card clearing against the card money held by files plus the refunds still to send."""
    return _differences(
        "card_clearing",
        """
        SELECT 0, l.cents, f.cents FROM
            (SELECT coalesce(sum(e.amount_cents), 0) AS cents FROM ledger_entry e
             JOIN ledger_account a ON a.id = e.account_id WHERE a.kind = 'card_clearing') l,
            (SELECT (SELECT coalesce(sum(card_held_cents), 0) FROM bookings_registration)
                  + (SELECT coalesce(sum(amount_cents), 0) FROM bookings_cardrefunddue
                     WHERE done_at IS NULL) AS cents) f
        WHERE l.cents <> f.cents
        """,
    )


def _differences(what: str, sql: str) -> list[FileDifference]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [FileDifference(what, int(owner), int(ledger), int(files)) for owner, ledger, files in cursor]
