"""The yearly crediting run (rules 1 to 7), set-based.

For each chunk of holders (by id), in one database transaction:

1. open the rights accounts that do not exist yet (accounts exist before sign-up);
2. lock the chunk's rights accounts ``FOR UPDATE`` in ascending id order (the ledger's lock
   order, docs/adr/0003-ledger.md);
3. one statement computes, for every holder, the entitlement of the declarations in force
   (``cpf.rights.rules.yearly_entitlement`` in SQL: hours of all employers added up, full
   amount from half time, pro rata rounded half up below, the enhanced rate and ceiling, ESAT
   without pro rata), compares it with what earlier runs recorded for the year, applies the
   ceiling against the locked balance (``cpf.rights.rules.credit_outcome``), and writes the
   ledger transactions, their entries and the new balances (``INSERT … SELECT`` and
   ``UPDATE … FROM``), returning the figures of the report.

A year's first run skips step 3's look-up of earlier credits (there can be none: only runs
write yearly credits, and each run is recorded before it writes).

Idempotent: each holder's credit for a year is keyed ``credit:<year>:<holder>:<last declaration
line>``, and a holder whose entitlement has not changed gets nothing. Safe against a second run
started in parallel: a connection-level advisory lock per year makes it wait for the first one, and the
unique idempotency keys would refuse a double credit anyway (``ON CONFLICT DO NOTHING``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from cpf.core import audit
from cpf.ledger.enums import AccountKind, TransactionKind
from cpf.ledger.services import system_account

from .models import CreditingRun
from .rates import FULL_AMOUNT_FROM_SHARE, CreditRates, rates_for_year

CREDITING_LOCK = 7_368_002  # pg_advisory_lock(CREDITING_LOCK, year)
DEFAULT_CHUNK = 50_000


@dataclass
class CreditingReport:
    """What a run did. ``by_rate`` counts the holders credited or corrected at each yearly rate
    (in cents); ``accounts_capped`` those whose credit the ceiling cut (rule 7)."""

    year: int
    run_id: int = 0
    holders_examined: int = 0
    accounts_opened: int = 0
    accounts_credited: int = 0
    credited_cents: int = 0
    accounts_debited: int = 0
    debited_cents: int = 0
    accounts_capped: int = 0
    capped_cents: int = 0
    by_rate: Counter[int] = field(default_factory=Counter)

    def add(self, row: dict[str, Any]) -> None:
        """Add one chunk's figures for one rate (sums come back from SQL as ``Decimal``)."""
        self.accounts_credited += int(row["credited"])
        self.credited_cents += int(row["credited_cents"])
        self.accounts_debited += int(row["debited"])
        self.debited_cents += int(row["debited_cents"])
        self.accounts_capped += int(row["capped"])
        self.capped_cents += int(row["capped_cents"])
        self.by_rate[int(row["rate_cents"])] += int(row["recorded"])


def credit_year(
    *,
    year: int,
    chunk_size: int = DEFAULT_CHUNK,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> CreditingReport:
    """Credit the rights acquired over ``year`` from the declarations in force (rules 1 to 7),
    or the corrections since the last run (rule 5). ``on_total`` receives the number of holders
    to examine, ``progress`` each chunk's count."""
    rates = rates_for_year(year)
    report = CreditingReport(year=year)
    with _run_lock(year):
        # Yearly credits are only written by crediting runs, each recorded before it writes:
        # without an earlier run for the year, no holder can have a credit for it yet.
        first_run = not CreditingRun.objects.filter(year=year).exists()
        run = CreditingRun.objects.create(year=year)
        fund_id = system_account(AccountKind.CPF_FUND).pk
        lowest, highest, holders = _holder_span(year)
        if on_total is not None:
            on_total(holders)
        for start in range(lowest, highest + 1, chunk_size):
            examined = _credit_chunk(year, rates, fund_id, start, start + chunk_size, first_run, report)
            report.holders_examined += examined
            if progress is not None:
                progress(examined)
        with transaction.atomic():
            _save(run, report)
            _audit(run)
    report.run_id = run.pk
    return report


@contextmanager
def _run_lock(year: int) -> Iterator[None]:
    """One crediting run per year at a time: a second one waits here for the first to end."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s, %s)", [CREDITING_LOCK, year])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [CREDITING_LOCK, year])


def _holder_span(year: int) -> tuple[int, int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(holder_id), max(holder_id), count(DISTINCT holder_id) FROM rights_declaration "
            "WHERE year = %s",
            [year],
        )
        lowest, highest, holders = cursor.fetchone()
    if lowest is None:
        return 0, -1, 0
    return int(lowest), int(highest), int(holders)


def _credit_chunk(
    year: int,
    rates: CreditRates,
    fund_id: int,
    start: int,
    stop: int,
    first_run: bool,
    report: CreditingReport,
) -> int:
    numerator, denominator = FULL_AMOUNT_FROM_SHARE
    params = {
        "year": year,
        "start": start,
        "stop": stop,
        "fund": fund_id,
        "standard": rates.standard_cents,
        "standard_ceiling": rates.standard_ceiling_cents,
        "enhanced": rates.enhanced_cents,
        "enhanced_ceiling": rates.enhanced_ceiling_cents,
        "share_numerator": numerator,
        "share_denominator": denominator,
        "yearly_credit": TransactionKind.YEARLY_CREDIT.value,
        "correction": TransactionKind.CREDIT_CORRECTION.value,
        "rights": AccountKind.HOLDER_RIGHTS.value,
        "first_run": first_run,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(OPEN_ACCOUNTS, params)
        report.accounts_opened += cursor.rowcount
        cursor.execute(LOCK_ACCOUNTS, params)
        examined = int(cursor.fetchone()[0])
        if not examined:
            return 0
        cursor.execute(CREDIT, params)
        names = [column.name for column in cursor.description]
        for values in cursor.fetchall():
            report.add(dict(zip(names, values, strict=True)))
    return examined


def _save(run: CreditingRun, report: CreditingReport) -> None:
    run.finished_at = timezone.now()
    run.accounts_opened = report.accounts_opened
    run.accounts_credited, run.credited_cents = report.accounts_credited, report.credited_cents
    run.accounts_debited, run.debited_cents = report.accounts_debited, report.debited_cents
    run.accounts_capped, run.capped_cents = report.accounts_capped, report.capped_cents
    run.by_rate = {str(rate): count for rate, count in sorted(report.by_rate.items())}
    run.save()


RUN_AUDITED_FIELDS = [
    "year",
    "accounts_opened",
    "accounts_credited",
    "credited_cents",
    "accounts_debited",
    "debited_cents",
    "accounts_capped",
    "capped_cents",
]


def _audit(run: CreditingRun) -> None:
    """One audit event per run, by the system (the ledger holds each holder's credit)."""
    audit.record_event(
        event="rights.crediting_run_finished",
        target=run,
        at=run.finished_at,
        changes=audit.diff({}, audit.snapshot(run, RUN_AUDITED_FIELDS)),
        system_job=audit.current_context().system_job or "credit_rights",
    )


CHUNK_DECLARATIONS = """
    SELECT d.id, d.holder_id, d.hours_worked + d.absence_hours AS worked, d.reference_hours,
        d.below_level_3 OR d.boeth OR d.esat AS enhanced, d.esat
    FROM rights_declaration d
    WHERE d.year = %(year)s AND d.holder_id >= %(start)s AND d.holder_id < %(stop)s
        AND NOT EXISTS (SELECT 1 FROM rights_declaration c WHERE c.supersedes_id = d.id)
"""

OPEN_ACCOUNTS = f"""
INSERT INTO ledger_account (kind, holder_id, name, balance_cents)
SELECT DISTINCT %(rights)s, d.holder_id, '', 0
FROM ({CHUNK_DECLARATIONS}) d
WHERE NOT EXISTS (
    SELECT 1 FROM ledger_account a WHERE a.holder_id = d.holder_id AND a.kind = %(rights)s
)
ON CONFLICT (holder_id) WHERE kind = %(rights)s DO NOTHING
"""

LOCK_ACCOUNTS = """
SELECT count(*) FROM (
    SELECT a.id FROM ledger_account a
    WHERE a.kind = %(rights)s AND a.holder_id >= %(start)s AND a.holder_id < %(stop)s
        AND EXISTS (
            SELECT 1 FROM rights_declaration d
            WHERE d.year = %(year)s AND d.holder_id = a.holder_id
                AND d.holder_id >= %(start)s AND d.holder_id < %(stop)s
        )
    ORDER BY a.id
    FOR UPDATE OF a
) locked
"""

CREDIT = f"""
WITH per_holder AS (
    SELECT holder_id, max(id) AS last_line, sum(worked) AS worked, min(reference_hours) AS reference,
        bool_or(enhanced) AS enhanced, bool_or(esat) AS esat
    FROM ({CHUNK_DECLARATIONS}) d
    GROUP BY holder_id
), entitled AS MATERIALIZED (
    SELECT p.holder_id, p.last_line, p.worked, p.reference, a.id AS account_id, a.balance_cents,
        r.rate_cents, r.ceiling_cents,
        CASE WHEN p.esat OR p.worked * %(share_denominator)s >= p.reference * %(share_numerator)s
            THEN r.rate_cents
            ELSE div(r.rate_cents * p.worked * %(share_denominator)s * 2 + p.reference * %(share_numerator)s,
                     2 * p.reference * %(share_numerator)s)::bigint
        END AS entitled_cents
    FROM per_holder p
    JOIN ledger_account a ON a.holder_id = p.holder_id AND a.kind = %(rights)s
        AND a.holder_id >= %(start)s AND a.holder_id < %(stop)s
    CROSS JOIN LATERAL (
        SELECT CASE WHEN p.enhanced THEN %(enhanced)s ELSE %(standard)s END::bigint AS rate_cents,
            CASE WHEN p.enhanced THEN %(enhanced_ceiling)s ELSE %(standard_ceiling)s END::bigint
                AS ceiling_cents
    ) r
), changed AS (
    -- What earlier runs recorded for the year, account by account (skipped on the first run).
    SELECT n.*, p.credits > 0 AS has_previous, p.credited_cents AS previously_credited_cents,
        n.entitled_cents - p.entitled_cents AS change_cents
    FROM entitled n
    CROSS JOIN LATERAL (
        SELECT count(*) AS credits, coalesce(sum(e.amount_cents), 0) AS credited_cents,
            coalesce(sum((t.details ->> 'entitled_change_cents')::bigint), 0) AS entitled_cents
        FROM ledger_entry e
        JOIN ledger_transaction t ON t.id = e.transaction_id
        WHERE NOT %(first_run)s AND e.account_id = n.account_id
            AND t.kind IN (%(yearly_credit)s, %(correction)s) AND t.period = %(year)s
    ) p
), outcome AS MATERIALIZED (
    SELECT c.*, 'credit:' || %(year)s::text || ':' || c.holder_id || ':' || c.last_line AS idempotency_key,
        x.amount_cents,
        CASE WHEN c.change_cents > 0 THEN c.change_cents - x.amount_cents ELSE 0 END AS capped_cents,
        CASE WHEN c.change_cents < 0
            THEN GREATEST(c.previously_credited_cents - c.entitled_cents, 0) + x.amount_cents
            ELSE 0
        END AS unrecovered_cents
    FROM changed c
    CROSS JOIN LATERAL (
        SELECT CASE WHEN c.change_cents > 0
            THEN LEAST(c.change_cents, GREATEST(c.ceiling_cents - c.balance_cents, 0))
            ELSE -LEAST(GREATEST(c.previously_credited_cents - c.entitled_cents, 0), c.balance_cents)
        END AS amount_cents
    ) x
    WHERE c.change_cents <> 0
), recorded AS (
    INSERT INTO ledger_transaction (kind, idempotency_key, reference, period, details)
    SELECT CASE WHEN o.has_previous THEN %(correction)s ELSE %(yearly_credit)s END,
        o.idempotency_key, 'declaration:' || o.last_line, %(year)s,
        jsonb_build_object(
            'rate_cents', o.rate_cents,
            'ceiling_cents', o.ceiling_cents,
            'entitled_cents', o.entitled_cents,
            'entitled_change_cents', o.change_cents,
            'capped_cents', o.capped_cents,
            'unrecovered_cents', o.unrecovered_cents,
            'worked_hours', o.worked,
            'reference_hours', o.reference
        )
    FROM outcome o
    ORDER BY o.account_id
    ON CONFLICT ON CONSTRAINT ledger_transaction_unique_idempotency_key DO NOTHING
    RETURNING id, idempotency_key
), written AS MATERIALIZED (
    SELECT r.id AS transaction_id, o.account_id, o.amount_cents, o.rate_cents, o.capped_cents
    FROM recorded r
    JOIN outcome o ON o.idempotency_key = r.idempotency_key
), entries AS (
    INSERT INTO ledger_entry (transaction_id, account_id, amount_cents)
    SELECT w.transaction_id, side.account_id, side.amount_cents
    FROM written w
    CROSS JOIN LATERAL (VALUES (w.account_id, w.amount_cents), (%(fund)s, -w.amount_cents))
        AS side (account_id, amount_cents)
), balances AS (
    UPDATE ledger_account a SET balance_cents = a.balance_cents + w.amount_cents
    FROM written w
    WHERE a.id = w.account_id AND w.amount_cents <> 0
)
SELECT w.rate_cents,
    count(*) AS recorded,
    count(*) FILTER (WHERE w.amount_cents > 0) AS credited,
    coalesce(sum(w.amount_cents) FILTER (WHERE w.amount_cents > 0), 0) AS credited_cents,
    count(*) FILTER (WHERE w.amount_cents < 0) AS debited,
    coalesce(-sum(w.amount_cents) FILTER (WHERE w.amount_cents < 0), 0) AS debited_cents,
    count(*) FILTER (WHERE w.capped_cents > 0) AS capped,
    coalesce(sum(w.capped_cents), 0) AS capped_cents
FROM written w
GROUP BY w.rate_cents
"""
