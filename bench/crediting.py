"""Yearly crediting of N accounts from N declaration lines: the project's import and crediting run
against a pure set-based SQL baseline doing the same arithmetic, in the same run and database.

1. N declaration lines for 2025 are generated deterministically (valid NIRs: key = 97 − (the 13
   first digits mod 97); 50,000 employers with valid SIRETs; full time, part time, below half
   time, absences, the three enhanced situations) and imported with ``import_declarations``
   (COPY into a staging table): lines per second.
2. Nine holders in ten get a rights account with a balance from earlier years (between 0 and
   7,900 €: some credits will be cut by the ceiling); the tenth are new (their accounts are
   opened by the run). Not timed.
3. The baseline: one statement opens the missing accounts, one statement computes every
   holder's credit (GROUP BY holder, CASE for the rates, LEAST against the current balance for the
   ceiling) and writes the transactions, entries and balances (INSERT … SELECT, UPDATE … FROM),
   into the same tables with the same constraints and triggers; the deferred checks are fired,
   the figures kept, and everything rolled back (then VACUUM).
4. The project's crediting run (``credit_rights``), the same way a ``manage.py credit_rights``
   would run it: chunks, row locks in id order, comparison with earlier runs, run record; then a
   second run, which must credit nothing.

Both start from the same state with warm caches; the figures of both runs are compared.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import django

if __name__ == "__main__":  # ``python -m bench.crediting``: Django is set up before the models load
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    django.setup()

from django.db import connection, transaction
from stdnum import luhn

from cpf.ledger.enums import AccountKind, TransactionKind
from cpf.ledger.services import system_account
from cpf.rights import services
from cpf.rights.declarations import COLUMNS
from cpf.rights.rates import rates_for_year

NAME = "crediting"
HELP = "import N declaration lines and credit N accounts, against a set-based SQL baseline"
YEAR = 2025
DEPARTMENTS = [f"{number:02d}" for number in range(1, 96) if number != 20]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lines", type=int, default=1_000_000, help="declaration lines (1,000,000)")
    parser.add_argument("--chunk-size", type=int, default=50_000, help="holders per crediting chunk (50,000)")
    parser.add_argument("--crediting-seed", type=int, default=1, help="random seed of the declarations (1)")


@dataclass(frozen=True)
class Figures:
    credited: int
    credited_cents: int
    capped: int
    capped_cents: int

    def __str__(self) -> str:
        return (
            f"{self.credited:,} accounts credited, {self.credited_cents / 100:,.2f} €, "
            f"{self.capped:,} capped ({self.capped_cents / 100:,.2f} € cut)"
        )


def run(options: argparse.Namespace, out: TextIO, *, now: datetime.datetime) -> None:
    lines = options.lines
    out.write(f"\nYearly crediting: {lines:,} declaration lines for {YEAR}, seed {options.crediting_seed}\n")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "declarations.csv"
        started = time.monotonic()
        write_declarations(path, lines=lines, seed=options.crediting_seed)
        out.write(f"Declarations file generated: {time.monotonic() - started:.1f} s\n")
        started = time.monotonic()
        report = services.import_declarations_file(path=str(path), actor=None, now=now)
        seconds = time.monotonic() - started
    out.write(
        f"Import: {report.lines_loaded:,} lines loaded ({len(report.rejections)} rejected), "
        f"{report.holders_created:,} holder accounts opened, in {seconds:.1f} s: "
        f"{report.lines_read / seconds:,.0f} lines/s\n"
    )
    out.flush()
    seed_earlier_balances()
    vacuum()
    warm_up()
    baseline_seconds, baseline = run_baseline()
    vacuum()
    warm_up()
    out.write(f"Baseline (set-based SQL, rolled back): {baseline_seconds:.1f} s: {baseline}\n")
    out.flush()
    started = time.monotonic()
    result = services.credit_rights(year=YEAR, chunk_size=options.chunk_size)
    project_seconds = time.monotonic() - started
    project = Figures(
        result.accounts_credited, result.credited_cents, result.accounts_capped, result.capped_cents
    )
    out.write(
        f"Project (credit_rights, chunks of {options.chunk_size:,}): {project_seconds:.1f} s: {project}\n"
    )
    out.write(f"Same figures: {'yes' if project == baseline else 'NO'}\n")
    out.write(
        f"Crediting {result.holders_examined:,} accounts: project {project_seconds:.1f} s, "
        f"baseline {baseline_seconds:.1f} s, ratio {project_seconds / baseline_seconds:.2f}\n"
    )
    out.flush()
    started = time.monotonic()
    again = services.credit_rights(year=YEAR, chunk_size=options.chunk_size)
    out.write(
        f"Second run (compares every holder with the first, credits nothing): "
        f"{time.monotonic() - started:.1f} s, {again.accounts_credited:,} accounts credited\n"
    )


def write_declarations(path: Path, *, lines: int, seed: int) -> None:
    """``lines`` lines, one per holder, deterministic for a seed."""
    draw = random.Random(seed)
    employers = [siret(number) for number in range(50_000)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(COLUMNS)
        for index in range(lines):
            writer.writerow([nir(index, draw), draw.choice(employers), YEAR, *situation(draw)])


def nir(index: int, draw: random.Random) -> str:
    """A valid NIR, unique per index (up to 93 million): order, commune and department count
    the index; sex, birth year and month vary."""
    order, rest = index % 999 + 1, index // 999
    commune, department = rest % 990 + 1, DEPARTMENTS[rest // 990 % len(DEPARTMENTS)]
    born = f"{draw.choice('12')}{draw.randint(60, 99)}{draw.randint(1, 12):02d}"
    body = f"{born}{department}{commune:03d}{order:03d}"
    return f"{body}{97 - int(body) % 97:02d}"


def siret(number: int) -> str:
    siren = f"{30_000_000 + number:08d}"
    siren += luhn.calc_check_digit(siren)
    body = f"{siren}{number % 9_999 + 1:04d}"
    return body + luhn.calc_check_digit(body)


def situation(draw: random.Random) -> list[str]:
    """Hours worked, reference, absences and the yes/no columns of one line."""
    reference = 1607 if draw.random() < 0.95 else draw.choice([1470, 1560])
    share = draw.random()
    if share < 0.65:
        hours = str(reference)
    elif share < 0.85:
        hours = str(draw.randint(reference // 2 + 1, reference - 1))
    elif share < 0.98:
        hours = f"{draw.randint(0, reference // 2 * 100) / 100:.2f}".replace(".", ",")
    else:
        hours = "0"
    absence = str(draw.randint(0, 400)) if draw.random() < 0.10 else "0"
    flags = ["oui" if draw.random() < odds else "non" for odds in (0.08, 0.03, 0.005)]
    return [hours, str(reference), absence, *flags, "non"]


def seed_earlier_balances() -> None:
    """Nine holders in ten already have rights from earlier years (a 2024 credit of 0 to
    7,900 €); the others have no account yet."""
    fund = system_account(AccountKind.CPF_FUND).pk
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO ledger_account (kind, holder_id, name, balance_cents)
            SELECT %(rights)s, h.id, '', 0 FROM holders_holder h WHERE h.id %% 10 <> 0
            """,
            {"rights": AccountKind.HOLDER_RIGHTS.value},
        )
        cursor.execute(
            """
            WITH opening AS (
                SELECT a.id AS account_id, a.holder_id, (a.holder_id * 7919 %% 80) * 10000 AS amount
                FROM ledger_account a WHERE a.kind = %(rights)s
            ), recorded AS (
                INSERT INTO ledger_transaction (kind, idempotency_key, reference, period, details)
                SELECT %(kind)s, 'opening:' || holder_id, 'bench', 2024, '{}'::jsonb FROM opening
                WHERE amount > 0
                RETURNING id, idempotency_key
            ), entries AS (
                INSERT INTO ledger_entry (transaction_id, account_id, amount_cents)
                SELECT r.id, side.account_id, side.amount FROM recorded r
                JOIN opening o ON r.idempotency_key = 'opening:' || o.holder_id
                CROSS JOIN LATERAL (VALUES (o.account_id, o.amount), (%(fund)s, -o.amount))
                    AS side (account_id, amount)
            )
            UPDATE ledger_account a SET balance_cents = o.amount FROM opening o WHERE a.id = o.account_id
            """,
            {
                "rights": AccountKind.HOLDER_RIGHTS.value,
                "kind": TransactionKind.YEARLY_CREDIT.value,
                "fund": fund,
            },
        )


def vacuum() -> None:
    if connection.in_atomic_block:  # in a test's transaction: nothing to clean
        return
    with connection.cursor() as cursor:
        for table in (
            "ledger_account",
            "ledger_transaction",
            "ledger_entry",
            "rights_declaration",
            "holders_holder",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


def warm_up() -> None:
    """Read the tables both runs read, so that neither pays for a cold cache."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), sum(hours_worked) FROM rights_declaration")
        cursor.execute("SELECT count(*), sum(balance_cents) FROM ledger_account")
        cursor.execute("SELECT count(*) FROM holders_holder")


class _RollBack(Exception):
    pass


def run_baseline() -> tuple[float, Figures]:
    """The same crediting in two plain statements; timed up to the end of the commit-time checks,
    then rolled back so that the project's run starts from the same state."""
    rates = rates_for_year(YEAR)
    params = {
        "year": YEAR,
        "fund": system_account(AccountKind.CPF_FUND).pk,
        "rights": AccountKind.HOLDER_RIGHTS.value,
        "kind": TransactionKind.YEARLY_CREDIT.value,
        "standard": rates.standard_cents,
        "standard_ceiling": rates.standard_ceiling_cents,
        "enhanced": rates.enhanced_cents,
        "enhanced_ceiling": rates.enhanced_ceiling_cents,
    }
    figures: list[Any] = []
    started = time.monotonic()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(BASELINE_OPEN_ACCOUNTS, params)
            cursor.execute(BASELINE_CREDIT, params)
            figures.extend(int(value or 0) for value in cursor.fetchone())
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the commit-time checks
            seconds = time.monotonic() - started
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            raise _RollBack
    except _RollBack:
        pass
    return seconds, Figures(*figures)


BASELINE_OPEN_ACCOUNTS = """
INSERT INTO ledger_account (kind, holder_id, name, balance_cents)
SELECT DISTINCT %(rights)s, d.holder_id, '', 0
FROM rights_declaration d
WHERE d.year = %(year)s
    AND NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.holder_id = d.holder_id AND a.kind = %(rights)s)
"""

BASELINE_CREDIT = """
WITH per_holder AS (
    SELECT holder_id, max(id) AS last_line, sum(hours_worked + absence_hours) AS worked,
        min(reference_hours) AS reference, bool_or(below_level_3 OR boeth OR esat) AS enhanced,
        bool_or(esat) AS esat
    FROM rights_declaration WHERE year = %(year)s
    GROUP BY holder_id
), credit AS MATERIALIZED (
    SELECT p.holder_id, p.last_line, p.worked, p.reference, a.id AS account_id, r.rate, r.ceiling,
        CASE WHEN p.esat OR p.worked * 2 >= p.reference THEN r.rate
            ELSE div(r.rate * p.worked * 4 + p.reference, 2 * p.reference)::bigint
        END AS entitled,
        a.balance_cents
    FROM per_holder p
    JOIN ledger_account a ON a.holder_id = p.holder_id AND a.kind = %(rights)s
    CROSS JOIN LATERAL (
        SELECT CASE WHEN p.enhanced THEN %(enhanced)s ELSE %(standard)s END::bigint AS rate,
            CASE WHEN p.enhanced THEN %(enhanced_ceiling)s ELSE %(standard_ceiling)s END::bigint AS ceiling
    ) r
), amounts AS MATERIALIZED (
    SELECT c.*, 'credit:' || %(year)s::text || ':' || c.holder_id || ':' || c.last_line AS idempotency_key,
        LEAST(c.entitled, GREATEST(c.ceiling - c.balance_cents, 0)) AS amount
    FROM credit c WHERE c.entitled > 0
), recorded AS (
    INSERT INTO ledger_transaction (kind, idempotency_key, reference, period, details)
    SELECT %(kind)s, a.idempotency_key, 'declaration:' || a.last_line, %(year)s,
        jsonb_build_object(
            'rate_cents', a.rate, 'ceiling_cents', a.ceiling, 'entitled_cents', a.entitled,
            'entitled_change_cents', a.entitled, 'capped_cents', a.entitled - a.amount,
            'unrecovered_cents', 0,
            'worked_hours', a.worked, 'reference_hours', a.reference
        )
    FROM amounts a
    RETURNING id, idempotency_key
), written AS MATERIALIZED (
    SELECT r.id AS transaction_id, a.account_id, a.amount, a.entitled - a.amount AS capped
    FROM recorded r JOIN amounts a ON a.idempotency_key = r.idempotency_key
), entries AS (
    INSERT INTO ledger_entry (transaction_id, account_id, amount_cents)
    SELECT w.transaction_id, side.account_id, side.amount
    FROM written w
    CROSS JOIN LATERAL (VALUES (w.account_id, w.amount), (%(fund)s, -w.amount)) AS side (account_id, amount)
), balances AS (
    UPDATE ledger_account a SET balance_cents = a.balance_cents + w.amount
    FROM written w WHERE a.id = w.account_id AND w.amount <> 0
)
SELECT count(*) FILTER (WHERE amount > 0), sum(amount), count(*) FILTER (WHERE capped > 0), sum(capped)
FROM written
"""


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.crediting [options]``: this benchmark alone, in the benchmark database
    (``python -m bench crediting`` once it is listed in ``bench/__main__.py``)."""
    from bench.database import bench_database

    parser = argparse.ArgumentParser(prog="python -m bench.crediting", description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    add_arguments(parser)
    options = parser.parse_args(argv)
    with bench_database(keep=options.keep, out=sys.stdout):
        run(options, sys.stdout)


if __name__ == "__main__":
    main()
