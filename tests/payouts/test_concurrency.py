"""Payment runs at once, and a worker killed -9 in the middle of one (rules 20, 23): no amount is
ever paid twice, and a restarted run pays what the killed one did not."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from procrastinate.contrib.django.models import ProcrastinateJob

from cpf.bookings import services
from cpf.ledger.enums import AccountKind, TransactionKind
from cpf.ledger.models import Account, Transaction
from cpf.ledger.reconcile import reconcile
from cpf.payouts.models import PayoutItem, PayoutRun, Transfer
from cpf.payouts.tasks import run_task
from tests.accounts.support import run_at_once
from tests.bookings.money_support import PRICE
from tests.clock import on_this_clock

from .support import RUN_AT, long_file, paid_out, payable_of, provider_of, run, validated_file
from .test_overpayment import END, LATER, debt_of, declared

ROOT = Path(__file__).resolve().parents[2]
APPS = [
    "cpf.accounts",
    "cpf.core",
    "cpf.holders",
    "cpf.providers",
    "cpf.catalogue",
    "cpf.search",
    "cpf.rights",
    "cpf.ledger",
    "cpf.bookings",
    "cpf.invoicing",
    "cpf.payments",
    "cpf.payouts",
    "procrastinate.contrib.django",
]
pytestmark = pytest.mark.django_db(transaction=True, available_apps=APPS)
RUNS = 6


def files(count: int) -> list:
    return [validated_file() for _ in range(count)]


def assert_paid_once(registrations: list) -> None:
    assert sorted(PayoutItem.objects.values_list("registration_id", flat=True)) == sorted(
        r.pk for r in registrations
    )
    assert Transfer.objects.count() == len(registrations)
    assert Transaction.objects.filter(kind=TransactionKind.PAYOUT).count() == len(registrations)
    assert paid_out() == PRICE * len(registrations)
    assert all(payable_of(provider_of(r)) == 0 for r in registrations)
    assert reconcile().ok, reconcile()


def test_runs_started_at_once_with_other_keys_pay_every_amount_once():
    registrations = files(3)

    results = run_at_once([lambda n=n: run(f"agent:1:{n}") for n in range(RUNS)])

    assert all(isinstance(result, PayoutRun) for result in results), results
    assert sorted(result.transfer_count for result in results) == [0] * (RUNS - 1) + [3]
    assert_paid_once(registrations)


def test_the_same_run_started_at_once_is_recorded_once():
    registrations = files(2)

    results = run_at_once([lambda: run("daily:2027-04-02") for _ in range(RUNS)])

    assert {result.pk for result in results} == {PayoutRun.objects.get().pk}
    assert_paid_once(registrations)


# --- A worker killed -9 in the middle of a run ----------------------------------------------------


def start_worker() -> subprocess.Popen:
    command, clock = on_this_clock(["manage.py", "procrastinate", "worker", "--queues", "default"], at=RUN_AT)
    env = {
        **os.environ,
        **clock,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_NAME": connection.settings_dict["NAME"],
    }
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(condition: Callable[[], object], timeout: float = 60.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("the condition did not hold in time")


def other_connection() -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )


def backend_waiting_on_a_lock(watcher: psycopg.Connection) -> int | None:
    """The worker's database session, once it waits on a row lock while locking the payables."""
    row = watcher.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
        "AND query LIKE '%%FOR UPDATE OF a%%' AND pid <> pg_backend_pid()"
    ).fetchone()
    return row[0] if row else None


def backend_gone(watcher: psycopg.Connection, pid: int) -> bool:
    return watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0] == 0


def job_done(job_id: int) -> bool:
    return ProcrastinateJob.objects.get(pk=job_id).status == "succeeded"


@pytest.mark.slow
def test_a_worker_killed_in_the_middle_of_a_run_pays_nothing_and_the_restarted_run_pays_each_amount_once():
    registrations = files(3)
    payable = Account.objects.get(kind=AccountKind.PROVIDER_PAYABLE, provider=provider_of(registrations[1]))
    blocker, watcher = other_connection(), other_connection()
    watcher.autocommit = True
    worker = start_worker()
    try:
        # given a run that has written its transfers and items, and waits to lock the payables
        blocker.execute("SELECT id FROM ledger_account WHERE id = %s FOR UPDATE", [payable.pk])
        run_task.defer(key="agent:1:kill", actor_id=None)
        pid = wait_for(lambda: backend_waiting_on_a_lock(watcher))
        written = watcher.execute("SELECT count(*) FROM payouts_transfer").fetchone()[0]

        # when the worker is killed -9 there
        os.kill(worker.pid, signal.SIGKILL)
        assert worker.wait(timeout=30) == -signal.SIGKILL
        blocker.rollback()
        wait_for(lambda: backend_gone(watcher, pid))

        # then nothing of the run is left
        assert written == 0  # nothing committed while it ran (its own rows are its own)
        assert (PayoutRun.objects.count(), Transfer.objects.count(), PayoutItem.objects.count()) == (0, 0, 0)
        assert not Transaction.objects.filter(kind=TransactionKind.PAYOUT).exists()
        assert all(payable_of(provider_of(r)) == PRICE for r in registrations)
        assert reconcile().ok

        # and a new worker running the job again pays each amount once, and once only
        worker = start_worker()
        retried = run_task.defer(key="agent:1:kill", actor_id=None)
        wait_for(lambda: job_done(retried))
        again = run_task.defer(key="agent:1:kill", actor_id=None)
        later = run_task.defer(key="agent:1:after", actor_id=None)
        wait_for(lambda: job_done(again) and job_done(later))
        assert PayoutRun.objects.count() == 2
        assert_paid_once(registrations)
    finally:
        if worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=30)
        blocker.close()
        watcher.close()


# --- A settlement leaving a debt and a run at once (docs/adr/0020) --------------------------------


def test_settlements_creating_debts_and_runs_at_once_recover_each_debt_once():
    """Each provider was paid a €300 advance; its long file is settled at 25 % (a €50 debt) while
    runs pay another of its files (€1,000): whichever commits first, the debt is recovered at
    most once and what is not recovered stays owed."""
    longs = [long_file() for _ in range(3)]
    run("daily:2027-04-02")  # the advances
    longs = [declared(registration, hours=10, reason="holder_fault") for registration in longs]
    others = [validated_file(provider_of(registration)) for registration in longs]
    debt = 300_00 - 250_00

    def settle(registration):
        return lambda: services.validate_service_done(registration=registration, actor=None, now=END)

    results = run_at_once(
        [settle(r) for r in longs] + [lambda n=n: run(f"agent:1:{n}", at=LATER) for n in range(2)]
    )

    assert not [result for result in results if isinstance(result, Exception)], results
    for registration, other in zip(longs, others, strict=True):
        provider = provider_of(registration)
        transfer = Transfer.objects.get(provider=provider, items__registration=other)
        assert transfer.amount_cents + transfer.recovered_cents == PRICE
        assert transfer.recovered_cents + debt_of(provider) == debt
        assert PayoutItem.objects.filter(registration=other).count() == 1
    assert reconcile().ok, reconcile()
