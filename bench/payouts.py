"""A payment run over N validated services (rules 20, 23): the project's run (``run_payouts``)
against set-based SQL over the same rows, in the same run and database.

1. The demo catalogue (generated when the database has none); one session of each of
   ``--payout-providers`` referenced providers, each given verified bank details in force; 1,000
   holders opened from a declarations file. Not timed.
2. N registration files whose service done is validated, spread over those sessions, each with
   its provider's validated invoice for the whole price, the price in the provider's payable
   (one ledger transaction per provider from the CPF fund). Written in SQL. Not timed.
3. Two baselines, rolled back: the **aggregation** alone (one ``GROUP BY provider`` of the due
   rows: what any payment run must at least read), and **the same writes in plain SQL** (the
   due rows, one transfer per provider, the items, the invoices marked paid and their
   transitions, one ledger transaction per transfer with its entries and balances), without
   the schema and EPC checks of the file nor the audit event.
4. The project's run, then a second run, which must pay nothing; ``reconcile_ledger`` clean.
"""

from __future__ import annotations

import argparse
import datetime
import os
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

import django

if __name__ == "__main__":  # ``python -m bench.payouts``: Django is set up before the models load
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    django.setup()

from django.db import connection, transaction

from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import Registration
from cpf.holders.models import Holder
from cpf.ledger.enums import AccountKind, TransactionKind
from cpf.ledger.services import system_account

NAME = "payouts"
HELP = "a payment run over N validated services, against set-based SQL over the same rows"
HOLDERS = 1_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--payout-services", type=int, default=100_000, help="validated services (100,000)")
    parser.add_argument("--payout-providers", type=int, default=2_000, help="providers paid (2,000)")


def run(options: argparse.Namespace, out: TextIO, *, now: datetime.datetime) -> None:
    from django.core.management import call_command

    from cpf.ledger.reconcile import reconcile
    from cpf.payouts.enums import RunTrigger
    from cpf.payouts.services import run_payouts

    services, providers = options.payout_services, options.payout_providers
    out.write(
        f"\nPayouts: a payment run over {services:,} validated services of up to {providers:,} providers\n"
    )
    started = time.monotonic()
    from cpf.catalogue.generator.catalogue import SESSIONS_PER_PROVIDER
    from cpf.catalogue.models import Session

    if Session.objects.count() < providers * SESSIONS_PER_PROVIDER:
        # enough sessions for the providers wanted (a fifth of them are not referenced)
        sessions_wanted = max(100, providers * SESSIONS_PER_PROVIDER * 6 // 5)
        call_command("generate_catalogue", sessions=sessions_wanted, seed=1, verbosity=0)
    open_holders(now=now)
    sessions = one_session_per_provider(providers, now=now)
    write_validated_services(services, sessions, now=now)
    if not connection.in_atomic_block:  # in a test's transaction: nothing to clean
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    out.write(
        f"Data: {services:,} files validated and invoiced on {len(sessions):,} providers' sessions, "
        f"in {time.monotonic() - started:.1f} s\n"
    )
    out.flush()
    warm_up()
    aggregation_seconds, aggregated = timed(aggregation)
    writes_seconds, written = timed(sql_run, now)
    out.write(
        f"Baseline, the aggregation alone (GROUP BY provider): {aggregation_seconds:.2f} s: {aggregated}\n"
    )
    out.write(f"Baseline, the same writes in plain SQL (rolled back): {writes_seconds:.2f} s: {written}\n")
    out.flush()
    started = time.monotonic()
    payout = run_payouts(key=f"bench:{now.isoformat()}", trigger=RunTrigger.DAILY, now=now)
    project_seconds = time.monotonic() - started
    project = Figures(payout.transfer_count, payout.item_count, payout.total_cents)
    out.write(f"Project (run_payouts, pain.001 built and checked): {project_seconds:.2f} s: {project}\n")
    out.write(f"Same figures: {'yes' if project == aggregated == written else 'NO'}\n")
    out.write(
        f"Payment run over {services:,} services: project {project_seconds:.2f} s, "
        f"ratio {project_seconds / aggregation_seconds:.2f} to the aggregation, "
        f"{project_seconds / writes_seconds:.2f} to the plain-SQL writes (goal ≤ 2)\n"
    )
    started = time.monotonic()
    again = run_payouts(key=f"bench:{now.isoformat()}:again", trigger=RunTrigger.DAILY, now=now)
    out.write(
        f"Second run (nothing left to pay): {time.monotonic() - started:.2f} s, "
        f"{again.transfer_count} transfers\n"
    )
    outcome = reconcile()
    out.write(
        f"reconcile_ledger: {'clean' if outcome.ok else 'DIFFERENCES'} "
        f"({outcome.accounts_checked:,} accounts, {outcome.transactions_checked:,} transactions)\n"
    )


class Figures(tuple[int, int, int]):
    def __new__(cls, transfers: int, items: int, cents: int) -> Figures:
        return super().__new__(cls, (int(transfers), int(items), int(cents)))

    def __str__(self) -> str:
        transfers, items, cents = self
        return f"{transfers:,} transfers, {items:,} services paid, {cents / 100:,.2f} €"


def timed(work: Any, *args: Any) -> tuple[float, Figures]:
    started = time.monotonic()
    figures = work(*args)
    return time.monotonic() - started, figures


# --- Data -----------------------------------------------------------------------------------------


def open_holders(*, now: datetime.datetime) -> None:
    from cpf.rights import services as rights

    from .crediting import write_declarations

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "declarations.csv"
        write_declarations(path, lines=HOLDERS, seed=7)
        rights.import_declarations_file(path=str(path), actor=None, now=now)


def one_session_per_provider(count: int, *, now: datetime.datetime) -> list[int]:
    """A session of each of ``count`` referenced providers, each given verified bank details in
    force (a benchmark's shortcut: the agent's verification is not what is measured)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT ON (t.provider_id) s.id, t.provider_id
            FROM catalogue_session s JOIN catalogue_action a ON a.id = s.action_id
            JOIN catalogue_training t ON t.id = a.training_id
            JOIN providers_provider p ON p.id = t.provider_id AND p.status = 'referenced'
            ORDER BY t.provider_id, s.id LIMIT %s
            """,
            [count],
        )
        rows = cursor.fetchall()
        cursor.execute(
            """
            INSERT INTO providers_bankdetails (provider_id, iban, bic, account_holder_name, status,
                submitted_at,
                verified_at, effective_from, rejection_reason)
            SELECT p.id, 'FR7630004000031234567890143', 'BNPAFRPP', left(p.legal_name, 200), 'verified',
                %(since)s, %(since)s, %(since)s, ''
            FROM providers_provider p WHERE p.id = ANY(%(ids)s) AND NOT EXISTS (
                SELECT 1 FROM providers_bankdetails b
                WHERE b.provider_id = p.id AND b.status = 'verified' AND b.effective_from <= %(now)s
            )
            """,
            {
                "ids": [provider for _, provider in rows],
                "since": now - datetime.timedelta(days=60),
                "now": now,
            },
        )
    return [session for session, _ in rows]


def write_validated_services(count: int, sessions: list[int], *, now: datetime.datetime) -> None:
    """``count`` files at ``service_done_validated``, the price owed to the provider, each with
    its validated invoice; the payables credited from the CPF fund, one transaction each."""
    defaults = {
        name: Registration._meta.get_field(name).get_default()
        for name in ("payment_state", "payment_attempt", "control_state")
    }
    validated = now - datetime.timedelta(days=10)
    fund = system_account(AccountKind.CPF_FUND)
    holders = list(Holder.objects.order_by("pk").values_list("pk", flat=True)[:HOLDERS])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO bookings_registration (holder_id, session_id, action_id, status, price_cents,
                exam_cost_cents, duration_hours, start_date, end_date, modality, address,
                prerequisites_to_check, proposal_changed, c2p_points, payment_state, payment_attempt,
                reserved_cents, card_held_cents, provider_due_cents, advance_due_cents, entry_date, exit_date,
                exit_reason, hours_done, completion_rate, force_majeure, control_state, sent_at, validated_at,
                accepted_at, in_training_at, terminated_at, service_done_declared_at,
                service_done_validated_at)
            SELECT h.id, s.id, a.id, %(status)s, a.price_cents, 0, a.duration_hours, s.start_date,
                greatest(s.end_date, s.start_date), a.modality, '', false, false, false, %(payment_state)s,
                %(payment_attempt)s, 0, 0, a.price_cents, 0, s.start_date, s.end_date, 'completed',
                a.duration_hours, 100, false, %(control_state)s, %(at)s - interval '90 days',
                %(at)s - interval '89 days', %(at)s - interval '88 days', %(at)s - interval '60 days',
                %(at)s - interval '20 days', %(at)s - interval '15 days', %(at)s
            FROM generate_series(0, %(count)s - 1) n
            JOIN LATERAL (SELECT (%(sessions)s::bigint[])[1 + n %% %(session_count)s] AS id) pick ON true
            JOIN catalogue_session s ON s.id = pick.id
            JOIN catalogue_action a ON a.id = s.action_id
            JOIN LATERAL (SELECT (%(holder_ids)s::bigint[])[1 + n %% %(holders)s] AS id) h ON true
            """,
            {
                "status": RegistrationStatus.SERVICE_DONE_VALIDATED,
                "count": count,
                "sessions": sessions,
                "session_count": len(sessions),
                "holders": len(holders),
                "holder_ids": holders,
                "at": validated,
                **defaults,
            },
        )
        cursor.execute(
            """
            INSERT INTO invoicing_invoice (provider_id, registration_id, number, issued_on, amount_cents,
                vat_rate,
                vat_cents, status, rejection_reason, payout_reference, issued_at, validated_at)
            SELECT t.provider_id, r.id, 'B-' || r.id, %(day)s, r.provider_due_cents, 0, 0, 'validated',
                '', '',
                %(at)s, %(at)s
            FROM bookings_registration r JOIN catalogue_action a ON a.id = r.action_id
            JOIN catalogue_training t ON t.id = a.training_id
            WHERE r.status = %(status)s
                AND NOT EXISTS (SELECT 1 FROM invoicing_invoice v WHERE v.registration_id = r.id)
            """,
            {"status": RegistrationStatus.SERVICE_DONE_VALIDATED, "day": validated.date(), "at": validated},
        )
        # One statement per execute: parameters are bound by the server (ADR 22).
        params = {
            "payable": AccountKind.PROVIDER_PAYABLE,
            "kind": TransactionKind.ENTRY_DEBIT,
            "fund": fund.pk,
        }
        cursor.execute(
            """
            CREATE TEMPORARY TABLE bench_owed ON COMMIT DROP AS
            SELECT t.provider_id, sum(r.provider_due_cents) AS cents
            FROM bookings_registration r JOIN catalogue_action a ON a.id = r.action_id
            JOIN catalogue_training t ON t.id = a.training_id
            WHERE r.provider_due_cents > 0 GROUP BY t.provider_id
            """
        )
        cursor.execute(
            """
            INSERT INTO ledger_account (kind, provider_id, name, balance_cents)
            SELECT %(payable)s, o.provider_id, 'payable', 0 FROM bench_owed o
            ON CONFLICT (provider_id) WHERE kind = %(payable)s DO NOTHING
            """,
            params,
        )
        cursor.execute(
            """
            WITH recorded AS (
                INSERT INTO ledger_transaction (kind, idempotency_key, reference, details)
                SELECT %(kind)s, 'bench:owed:' || o.provider_id, 'provider:' || o.provider_id, '{}'::jsonb
                FROM bench_owed o RETURNING id, reference
            ), lines AS (
                SELECT r.id AS transaction_id, a.id AS payable_id,
                    o.cents - coalesce(a.balance_cents, 0) AS cents
                FROM recorded r JOIN bench_owed o ON 'provider:' || o.provider_id = r.reference
                JOIN ledger_account a ON a.provider_id = o.provider_id AND a.kind = %(payable)s
            ), entries AS (
                INSERT INTO ledger_entry (transaction_id, account_id, amount_cents)
                SELECT transaction_id, payable_id, cents FROM lines
                UNION ALL SELECT transaction_id, %(fund)s, -cents FROM lines
            )
            UPDATE ledger_account a SET balance_cents = a.balance_cents + l.cents
            FROM lines l WHERE a.id = l.payable_id
            """,
            params,
        )


def warm_up() -> None:
    with connection.cursor() as cursor:
        for table in ("bookings_registration", "invoicing_invoice", "ledger_account", "payouts_payoutitem"):
            cursor.execute(f"SELECT count(*) FROM {table}")


# --- Baselines ------------------------------------------------------------------------------------

DUE = """
    SELECT r.id AS registration_id, t.provider_id, v.id AS invoice_id,
        least(v.amount_cents, r.provider_due_cents) AS cents
    FROM bookings_registration r
    JOIN catalogue_action a ON a.id = r.action_id
    JOIN catalogue_training t ON t.id = a.training_id
    JOIN invoicing_invoice v ON v.registration_id = r.id AND v.status = 'validated'
    JOIN providers_provider p ON p.id = t.provider_id AND p.status <> 'suspended'
    WHERE r.status = 'service_done_validated'
        AND NOT EXISTS (SELECT 1 FROM payouts_payoutitem i WHERE i.registration_id = r.id AND NOT i.returned)
"""


def aggregation() -> Figures:
    """What is due, per provider, in one read."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), coalesce(sum(n), 0), coalesce(sum(cents), 0) FROM ("
            f"SELECT provider_id, count(*) AS n, sum(cents) AS cents FROM ({DUE}) due GROUP BY provider_id) p"
        )
        return Figures(*cursor.fetchone())


# The run's writes, one statement per execute (parameters bound by the server, ADR 22).
SQL_RUN_STEPS = (
    """
        INSERT INTO payouts_transfer (run_id, provider_id, bank_details_id, creditor_name, iban, bic,
            amount_cents,
            end_to_end_id, remittance, status, rejection_reason)
        SELECT %(run)s, d.provider_id, b.id, left(b.account_holder_name, 70), b.iban, b.bic, d.cents,
            'BENCH-' || d.provider_id, 'bench', 'sent', ''
        FROM (SELECT provider_id, sum(cents) AS cents FROM bench_due GROUP BY provider_id) d
        JOIN LATERAL (SELECT * FROM providers_bankdetails b WHERE b.provider_id = d.provider_id
            AND b.status = 'verified' AND b.effective_from <= %(now)s
            ORDER BY b.effective_from DESC, b.id DESC LIMIT 1) b ON true
    """,
    """
        INSERT INTO payouts_payoutitem (transfer_id, registration_id, kind, invoice_id, amount_cents,
            due_on, returned)
        SELECT t.id, d.registration_id, 'balance', d.invoice_id, d.cents, %(day)s, false
        FROM bench_due d JOIN payouts_transfer t ON t.run_id = %(run)s AND t.provider_id = d.provider_id
    """,
    """
        WITH paid AS (
            UPDATE invoicing_invoice v SET status = 'paid', paid_at = %(now)s, payout_reference = 'bench'
            FROM bench_due d WHERE d.invoice_id = v.id RETURNING v.id
        )
        INSERT INTO invoicing_invoicetransition (invoice_id, from_status, to_status, reason, at)
        SELECT id, 'validated', 'paid', '', %(now)s FROM paid
    """,
    """
        SELECT a.id FROM ledger_account a JOIN payouts_transfer t ON t.provider_id = a.provider_id
        WHERE t.run_id = %(run)s AND a.kind = 'provider_payable' ORDER BY a.id FOR UPDATE OF a
    """,
    """
        WITH recorded AS (
            INSERT INTO ledger_transaction (kind, idempotency_key, reference, details)
            SELECT 'payout', 'bench:' || t.end_to_end_id, 'transfer:' || t.id, '{}'::jsonb
            FROM payouts_transfer t WHERE t.run_id = %(run)s RETURNING id, reference
        ), lines AS (
            SELECT r.id AS transaction_id, t.amount_cents, a.id AS payable_id
            FROM recorded r JOIN payouts_transfer t ON 'transfer:' || t.id = r.reference
            JOIN ledger_account a ON a.provider_id = t.provider_id AND a.kind = 'provider_payable'
        ), entries AS (
            INSERT INTO ledger_entry (transaction_id, account_id, amount_cents)
            SELECT transaction_id, payable_id, -amount_cents FROM lines
            UNION ALL SELECT transaction_id, %(clearing)s, amount_cents FROM lines
        )
        UPDATE ledger_account a SET balance_cents = a.balance_cents - l.amount_cents
        FROM lines l WHERE a.id = l.payable_id

    """,
)


def sql_run(now: datetime.datetime) -> Figures:
    """The run's writes in plain SQL, in a transaction rolled back."""
    fund_free = system_account(AccountKind.PAYOUT_CLEARING).pk
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO payouts_payoutrun (key, trigger, started_at, execution_date, message_id,
                transfer_count,
                item_count, total_cents, xml)
            VALUES ('bench:baseline', 'daily', %(now)s, %(day)s, '', 0, 0, 0, '') RETURNING id
            """,
            {"now": now, "day": now.date()},
        )
        (run_id,) = cursor.fetchone()
        cursor.execute(f"CREATE TEMPORARY TABLE bench_due ON COMMIT DROP AS {DUE}")
        params = {"run": run_id, "now": now, "day": now.date(), "clearing": fund_free}
        for statement in SQL_RUN_STEPS:
            cursor.execute(statement, params)
        cursor.execute(
            "SELECT count(*), (SELECT count(*) FROM payouts_payoutitem i JOIN payouts_transfer t "
            "ON t.id = i.transfer_id WHERE t.run_id = %(run)s), coalesce(sum(amount_cents), 0) "
            "FROM payouts_transfer WHERE run_id = %(run)s",
            {"run": run_id},
        )
        figures = Figures(*cursor.fetchone())
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the ledger's deferred checks, measured too
        transaction.set_rollback(True)
    return figures
