"""What is owed to providers and not paid yet, and what was paid (rules 20, 23): read in SQL over
the registration files and the payout items, by the payment run and by the agents' dashboard.

An amount is **due** for a file when:

- *advance* (rule 20): the holder has entered a session longer than three months
  (``advance_due_cents`` set at entry), the file is not closed yet and no advance was paid;
  the amount is the advance, never more than what the payable holds for the file;
- *balance* (rule 23): the service done is validated and the provider's invoice for it is
  validated (``Invoice.objects.payable()``, cpf/invoicing); the amount is the invoice's less
  what was already paid for the file (the advance), never more than what the payable holds for
  it; the item names the invoice, which the run marks paid;
- *balance* of a cancelled file (rules 19, 22): a cancellation gave the provider an amount (the
  late-cancellation indemnity): it is paid without an invoice, what the file gave the provider's
  payable (``provider_due_cents``) less what was already paid for it.

Its deadline (``due_on``) is 30 calendar days after the validated service, the cancellation or
the entry (rule 23; the rules set no other deadline for the advance), in France's calendar.
Items of a transfer the bank returned no longer count as paid: the amount is due again.

A provider paid an advance beyond what its settled file gave it owes the difference
(``provider_overpaid_cents``, its receivable; docs/adr/0020): the file has nothing due, and the
payment runs deduct the debt from what they pay it (``provider_debt``, the dashboard's debts).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection

from cpf.bookings.enums import RegistrationStatus as S
from cpf.invoicing.enums import InvoiceStatus
from cpf.ledger.enums import AccountKind
from cpf.providers.enums import BankDetailsStatus

from .enums import ItemKind, TransferStatus

PAYMENT_DEADLINE_DAYS = 30  # rule 23
CANCELLED = (
    S.CANCELED_BY_ATTENDEE,
    S.CANCELED_BY_ORGANISM,
    S.CANCELED_BY_FINANCER,
    S.CANCELED_BY_ATTENDEE_NOT_REALIZED,
)
CLOSED_WITH_AMOUNT = (S.SERVICE_DONE_VALIDATED, *CANCELLED)
ENTERED = (S.IN_TRAINING, S.TERMINATED, S.SERVICE_DONE_DECLARED)


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


# One row per amount due: registration_id, provider_id, kind, amount_cents, due_on, invoice_id
# (the invoice a balance pays; one live invoice per file, cpf/invoicing). The paid part
# of each file is read through the partial unique index of the live items (one per file and
# kind), never by aggregating every item ever paid.
DUE_SQL = f"""
SELECT r.id AS registration_id, t.provider_id, k.kind, k.amount_cents, k.due_on, k.invoice_id
FROM bookings_registration r
JOIN catalogue_action a ON a.id = r.action_id
JOIN catalogue_training t ON t.id = a.training_id
CROSS JOIN LATERAL (
    SELECT coalesce(sum(i.amount_cents), 0) AS cents, bool_or(i.kind = '{ItemKind.ADVANCE}') AS advance
    FROM payouts_payoutitem i WHERE i.registration_id = r.id AND NOT i.returned
) p
CROSS JOIN LATERAL (
    SELECT '{ItemKind.BALANCE}' AS kind,
        least(v.amount_cents, r.provider_due_cents) - p.cents AS amount_cents,
        (r.service_done_validated_at AT TIME ZONE 'Europe/Paris')::date + {PAYMENT_DEADLINE_DAYS} AS due_on,
        v.id AS invoice_id
    FROM invoicing_invoice v
    WHERE r.status = '{S.SERVICE_DONE_VALIDATED}' AND v.registration_id = r.id
        AND v.status = '{InvoiceStatus.VALIDATED}'
    UNION ALL
    SELECT '{ItemKind.BALANCE}', r.provider_due_cents - p.cents,
        (r.canceled_at AT TIME ZONE 'Europe/Paris')::date + {PAYMENT_DEADLINE_DAYS}, NULL
    WHERE r.status IN ({_in(CANCELLED)})
    UNION ALL
    SELECT '{ItemKind.ADVANCE}', least(r.advance_due_cents, r.provider_due_cents - p.cents),
        (r.in_training_at AT TIME ZONE 'Europe/Paris')::date + {PAYMENT_DEADLINE_DAYS}, NULL
    WHERE r.status IN ({_in(ENTERED)}) AND r.advance_due_cents > 0 AND p.advance IS NOT TRUE
) k
WHERE r.provider_due_cents > p.cents AND r.status IN ({_in((*CLOSED_WITH_AMOUNT, *ENTERED))})
    AND k.amount_cents > 0
"""

# Who a run can pay, among providers with an amount due (``due``: a table of DUE_SQL's rows):
# payments not suspended (rule 26, ``cpf.payouts.sanctions``), bank details verified and in force
# at ``%(now)s`` (the same choice as ``cpf.providers.bank_details.bank_details_in_force``) and not
# those a transfer was already returned from (the provider must give new ones).
PAYEES_SQL = f"""
SELECT pr.id AS provider_id, b.id AS bank_details_id, b.iban, b.bic, b.account_holder_name
FROM (SELECT DISTINCT provider_id FROM {{due}}) d
JOIN providers_provider pr ON pr.id = d.provider_id
JOIN LATERAL (
    SELECT bd.id, bd.iban, bd.bic, bd.account_holder_name FROM providers_bankdetails bd
    WHERE bd.provider_id = pr.id AND bd.status = '{BankDetailsStatus.VERIFIED}'
        AND bd.effective_from <= %(now)s
    ORDER BY bd.effective_from DESC, bd.id DESC LIMIT 1
) b ON true
WHERE {{not_suspended}}
    AND NOT EXISTS (
        SELECT 1 FROM payouts_transfer x
        WHERE x.bank_details_id = b.id AND x.status = '{TransferStatus.REJECTED}'
    )
"""


@dataclass(frozen=True)
class DueLine:
    registration_id: int
    provider_id: int
    provider_name: str
    kind: str
    amount_cents: int
    due_on: datetime.date


@dataclass(frozen=True)
class DebtLine:
    """A provider's outstanding debt (an overpaid advance not recovered yet, docs/adr/0020)."""

    provider_id: int
    provider_name: str
    outstanding_cents: int


@dataclass(frozen=True)
class OverpaidFile:
    registration_id: int
    overpaid_cents: int


@dataclass(frozen=True)
class ProviderDebt:
    """What a provider owes the operator (rules 20, 22; docs/adr/0020): the advances paid beyond
    what the settled files gave it (``files``, ``overpaid_cents``), less what the payment runs
    recovered from what they owed it (``recovered_cents``); ``outstanding_cents`` is the
    receivable's balance, negated: what the next runs will deduct."""

    outstanding_cents: int
    overpaid_cents: int
    recovered_cents: int
    files: list[OverpaidFile]


def provider_debt(provider_id: int) -> ProviderDebt:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT coalesce(-(SELECT balance_cents FROM ledger_account
                              WHERE provider_id = %(p)s AND kind = '{AccountKind.PROVIDER_RECEIVABLE}'), 0),
                (SELECT coalesce(sum(recovered_cents), 0) FROM payouts_transfer
                 WHERE provider_id = %(p)s AND status <> '{TransferStatus.REJECTED}')
            """,
            {"p": provider_id},
        )
        outstanding, recovered = cursor.fetchone()
        cursor.execute(
            """
            SELECT r.id, r.provider_overpaid_cents FROM bookings_registration r
            JOIN catalogue_action a ON a.id = r.action_id
            JOIN catalogue_training t ON t.id = a.training_id
            WHERE t.provider_id = %(p)s AND r.provider_overpaid_cents > 0 ORDER BY r.id
            """,
            {"p": provider_id},
        )
        files = [OverpaidFile(int(pk), int(cents)) for pk, cents in cursor.fetchall()]
    return ProviderDebt(
        outstanding_cents=int(outstanding),
        overpaid_cents=sum(f.overpaid_cents for f in files),
        recovered_cents=int(recovered),
        files=files,
    )


@dataclass
class Dashboard:
    """The agents' view of rule 23 on ``today``: what is due (and, of it, overdue: its 30 days
    are over) and what was paid, with sums; ``due`` lists the oldest deadlines first."""

    today: datetime.date
    due_cents: int
    due_count: int
    overdue_cents: int
    overdue_count: int
    paid_cents: int
    paid_count: int
    returned_cents: int
    due: list[DueLine]
    # Overpaid advances to recover (docs/adr/0020): the total and the providers owing, largest first.
    debt_cents: int = 0
    recovered_cents: int = 0
    debts: list[DebtLine] | None = None


def dashboard(*, today: datetime.date, limit: int = 200) -> Dashboard:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT coalesce(sum(amount_cents), 0), count(*),
                coalesce(sum(amount_cents) FILTER (WHERE due_on < %(today)s), 0),
                count(*) FILTER (WHERE due_on < %(today)s)
            FROM ({DUE_SQL}) due
            """,
            {"today": today},
        )
        due_cents, due_count, overdue_cents, overdue_count = cursor.fetchone()
        cursor.execute(
            f"""
            SELECT due.registration_id, due.provider_id, pr.legal_name, due.kind, due.amount_cents,
                due.due_on
            FROM ({DUE_SQL}) due JOIN providers_provider pr ON pr.id = due.provider_id
            ORDER BY due.due_on, due.registration_id LIMIT %(limit)s
            """,
            {"limit": limit},
        )
        lines = [DueLine(*row) for row in cursor.fetchall()]
        cursor.execute(
            f"""
            SELECT coalesce(sum(amount_cents) FILTER (WHERE status = '{TransferStatus.SENT}'), 0),
                count(*) FILTER (WHERE status = '{TransferStatus.SENT}'),
                coalesce(sum(amount_cents) FILTER (WHERE status = '{TransferStatus.REJECTED}'), 0),
                coalesce(sum(recovered_cents) FILTER (WHERE status <> '{TransferStatus.REJECTED}'), 0)
            FROM payouts_transfer
            """
        )
        paid_cents, paid_count, returned_cents, recovered_cents = cursor.fetchone()
        cursor.execute(
            f"""
            SELECT a.provider_id, pr.legal_name, -a.balance_cents FROM ledger_account a
            JOIN providers_provider pr ON pr.id = a.provider_id
            WHERE a.kind = '{AccountKind.PROVIDER_RECEIVABLE}' AND a.balance_cents < 0
            ORDER BY a.balance_cents, a.provider_id
            """
        )
        debts = [DebtLine(int(p), name, int(cents)) for p, name, cents in cursor.fetchall()]
    return Dashboard(
        today=today,
        due_cents=int(due_cents),
        due_count=int(due_count),
        overdue_cents=int(overdue_cents),
        overdue_count=int(overdue_count),
        paid_cents=int(paid_cents),
        paid_count=int(paid_count),
        returned_cents=int(returned_cents),
        due=lines,
        debt_cents=sum(line.outstanding_cents for line in debts),
        recovered_cents=int(recovered_cents),
        debts=debts,
    )
