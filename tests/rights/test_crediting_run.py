"""The crediting run (rules 5 and 7): report, idempotency, corrections, parallel runs, the
command and the worker task."""

from __future__ import annotations

import contextlib

import pytest
from django.core.management import call_command

from cpf.core.money import prorata_cents
from cpf.ledger import services as ledger
from cpf.ledger.enums import TransactionKind
from cpf.ledger.models import Account, Entry, Transaction
from cpf.rights import services, tasks
from cpf.rights.models import CreditingRun
from tests.ledger.support import credit, new_holder, run_in_parallel, valid_nir
from tests.rights.support import HOSPITAL, assert_ledger_consistent, line, load

FULL_TIME = valid_nir(1)
HALF_TIME_BELOW = valid_nir(2)
ENHANCED = valid_nir(3)
AT_CEILING = valid_nir(4)
ZERO_HOURS = valid_nir(5)


def declare_year() -> None:
    report = load(
        line(FULL_TIME),
        line(HALF_TIME_BELOW, hours="803"),
        line(ENHANCED, hours="1607", below_level_3="oui"),
        line(AT_CEILING),
        line(ZERO_HOURS, hours="0"),
    )
    assert report.rejections == []
    credit(ledger.holder_rights_account(new_holder(4)), 4_800_00, key="opening", period=2024)


def balances() -> dict[str, int]:
    return {
        nir: Account.objects.rights().get(holder__nir_hash=new_holder(serial).nir_hash).balance_cents
        for serial, nir in enumerate([FULL_TIME, HALF_TIME_BELOW, ENHANCED, AT_CEILING, ZERO_HOURS], start=1)
    }


@pytest.mark.django_db
def test_a_run_credits_every_holder_and_reports_what_it_did():
    declare_year()

    report = services.credit_rights(year=2025)

    assert balances() == {
        FULL_TIME: 500_00,
        HALF_TIME_BELOW: 499_69,
        ENHANCED: 800_00,
        AT_CEILING: 5_000_00,
        ZERO_HOURS: 0,
    }
    assert (report.holders_examined, report.accounts_opened) == (5, 4)
    assert (report.accounts_credited, report.credited_cents) == (4, 500_00 + 499_69 + 800_00 + 200_00)
    assert (report.accounts_capped, report.capped_cents) == (1, 300_00)
    assert dict(report.by_rate) == {500_00: 3, 800_00: 1}
    run = CreditingRun.objects.get(pk=report.run_id)
    assert (run.accounts_credited, run.capped_cents, run.by_rate) == (4, 300_00, {"50000": 3, "80000": 1})
    assert_ledger_consistent()


@pytest.mark.django_db
def test_a_second_run_changes_nothing():
    declare_year()
    services.credit_rights(year=2025)
    before = (balances(), Transaction.objects.count(), Entry.objects.count())

    again = services.credit_rights(year=2025)

    assert (balances(), Transaction.objects.count(), Entry.objects.count()) == before
    assert (again.accounts_credited, again.credited_cents, again.accounts_capped, dict(again.by_rate)) == (
        0,
        0,
        0,
        {},
    )


@pytest.mark.django_db
def test_small_chunks_give_the_same_result():
    declare_year()

    report = services.credit_rights(year=2025, chunk_size=1)

    assert report.holders_examined == 5
    assert balances()[HALF_TIME_BELOW] == 499_69


@pytest.mark.django_db
def test_a_correction_upwards_gives_a_compensating_credit():
    declare_year()
    services.credit_rights(year=2025)
    load(line(HALF_TIME_BELOW, hours="1607", correction="oui"))

    report = services.credit_rights(year=2025)

    assert balances()[HALF_TIME_BELOW] == 500_00
    correction = Transaction.objects.get(kind=TransactionKind.CREDIT_CORRECTION)
    assert correction.entries.get(account__holder=new_holder(2)).amount_cents == 31
    assert (report.accounts_credited, report.credited_cents) == (1, 31)
    assert_ledger_consistent()


@pytest.mark.django_db
def test_a_correction_downwards_gives_a_compensating_debit_never_an_edit():
    declare_year()
    services.credit_rights(year=2025)
    first = Transaction.objects.credits_for_year(2025).get(entries__account__holder=new_holder(1))
    load(line(FULL_TIME, hours="400", correction="oui"))

    report = services.credit_rights(year=2025)

    assert balances()[FULL_TIME] == 248_91  # 500 € × 800 / 1607, rounded half up
    assert (report.accounts_debited, report.debited_cents) == (1, 251_09)
    assert (
        Transaction.objects.get(pk=first.pk).entries.get(account__holder=new_holder(1)).amount_cents == 500_00
    )
    assert_ledger_consistent()


@pytest.mark.django_db
def test_a_correction_cannot_take_back_rights_already_spent():
    declare_year()
    services.credit_rights(year=2025)
    rights = ledger.holder_rights_account(new_holder(1))
    credit(rights, -450_00, key="spent", period=None)  # 450 € used for a training
    load(line(FULL_TIME, hours="0", correction="oui"))

    services.credit_rights(year=2025)

    correction = Transaction.objects.get(kind=TransactionKind.CREDIT_CORRECTION)
    assert correction.entries.get(account=rights).amount_cents == -50_00
    assert (correction.details["entitled_cents"], correction.details["unrecovered_cents"]) == (0, 450_00)
    assert balances()[FULL_TIME] == 0
    assert_ledger_consistent()


@pytest.mark.django_db
def test_a_correction_raising_a_capped_year_is_capped_again():
    declare_year()
    services.credit_rights(year=2025)
    load(line(AT_CEILING, hours="1607", below_level_3="oui", correction="oui"))

    services.credit_rights(year=2025)

    # The enhanced rate raises the entitlement by 300 € and the ceiling to 8,000 €.
    assert balances()[AT_CEILING] == 5_300_00
    correction = Transaction.objects.get(kind=TransactionKind.CREDIT_CORRECTION)
    assert (correction.details["rate_cents"], correction.details["capped_cents"]) == (800_00, 0)


@pytest.mark.django_db
def test_a_year_without_declarations_credits_nothing():
    report = services.credit_rights(year=2024)

    assert (report.holders_examined, report.accounts_credited) == (0, 0)
    assert Transaction.objects.count() == 0


@pytest.mark.django_db
def test_the_command_shows_the_report(capsys):
    declare_year()

    call_command("credit_rights", "--year", "2025", verbosity=1)

    out = capsys.readouterr().out
    assert "5 titulaires examinés, 4 comptes de droits ouverts." in out
    assert "Comptes crédités : 4, pour 1\u00a0999,69\u00a0€." in out
    assert "Crédits écrêtés par le plafond : 1 (300,00\u00a0€ non crédités)." in out
    assert "Au taux de 500,00\u00a0€ par an : 3 titulaires." in out
    assert "Au taux de 800,00\u00a0€ par an : 1 titulaires." in out


@pytest.mark.django_db
def test_the_worker_task_runs_the_same_crediting():
    declare_year()

    result = tasks.credit_rights(year=2025)

    assert result["accounts_credited"] == 4
    assert balances()[ENHANCED] == 800_00


PARALLEL_APPS = ["cpf.holders", "cpf.ledger", "cpf.rights"]


@pytest.mark.django_db(transaction=True, available_apps=PARALLEL_APPS)
def test_two_runs_started_together_credit_each_holder_once():
    load(*(line(valid_nir(serial), siret=HOSPITAL, hours=str(800 + serial)) for serial in range(1, 41)))

    reports, errors = run_in_parallel(lambda: services.credit_rights(year=2025, chunk_size=7))

    assert errors == []
    assert sorted(report.accounts_credited for report in reports) == [0, 40]
    assert Transaction.objects.count() == 40
    pro_rata = [prorata_cents(500_00, 2 * (800 + serial), 1607) for serial in range(1, 4)]
    assert sum(Account.objects.rights().values_list("balance_cents", flat=True)) == 37 * 500_00 + sum(
        pro_rata
    )
    assert_ledger_consistent()


@pytest.mark.django_db(transaction=True, available_apps=PARALLEL_APPS)
def test_without_the_run_lock_the_row_locks_and_keys_still_credit_once(monkeypatch):
    load(*(line(valid_nir(serial), hours="1607") for serial in range(1, 21)))
    monkeypatch.setattr("cpf.rights.crediting._run_lock", lambda year: contextlib.nullcontext())

    _, errors = run_in_parallel(lambda: services.credit_rights(year=2025, chunk_size=5))

    assert errors == []
    assert Transaction.objects.count() == 20
    assert set(Account.objects.rights().values_list("balance_cents", flat=True)) == {500_00}
    assert_ledger_consistent()
