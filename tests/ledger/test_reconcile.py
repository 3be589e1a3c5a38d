"""manage.py reconcile_ledger proves every cached balance and every transaction; any difference
is reported and the command exits non-zero."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from cpf.ledger import services
from cpf.ledger.models import Account
from cpf.ledger.reconcile import BalanceDifference, UnbalancedRow, reconcile
from tests.ledger.support import credit, fund, new_holder

pytestmark = pytest.mark.django_db


def test_a_sound_ledger_reconciles(capsys):
    credit(services.holder_rights_account(new_holder(1)), 500_00, key="a")
    credit(services.holder_rights_account(new_holder(2)), 800_00, key="b")

    call_command("reconcile_ledger", verbosity=1)

    assert capsys.readouterr().out.strip() == (
        "2 soldes et 2 transactions vérifiés : 0 soldes faux, 0 négatifs, 0 transactions déséquilibrées, "
        "0 écarts avec les dossiers."
    )


def test_a_tampered_balance_is_reported_and_the_command_exits_non_zero(capsys):
    account = services.holder_rights_account(new_holder())
    credit(account, 500_00, key="a")
    Account.objects.filter(pk=account.pk).update(balance_cents=600_00)

    with pytest.raises(CommandError) as failed:
        call_command("reconcile_ledger")

    assert failed.value.returncode == 1  # manage.py exits with this code
    err = capsys.readouterr().err
    assert (
        f"Compte n° {account.pk} : solde 600,00\u00a0€, écritures 500,00\u00a0€ (écart 100,00\u00a0€)." in err
    )
    assert str(failed.value).startswith("1 soldes et 1 transactions vérifiés : 1 soldes faux")
    assert reconcile().differences == [BalanceDifference(account.pk, 600_00, 500_00)]


def test_an_unbalanced_transaction_slipped_past_disabled_triggers_is_reported():
    account = services.holder_rights_account(new_holder())
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ledger_transaction DISABLE TRIGGER ledger_transaction_balanced")
        cursor.execute(
            "INSERT INTO ledger_transaction (kind, idempotency_key, reference, details) "
            "VALUES ('yearly_credit', 'forged', '', '{}') RETURNING id"
        )
        forged = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO ledger_entry (transaction_id, account_id, amount_cents) VALUES (%s, %s, 100)",
            [forged, fund().pk],
        )

    result = reconcile()

    assert result.unbalanced == [UnbalancedRow(forged, 1, 100)]
    assert not result.ok
    assert account.pk not in [difference.account_id for difference in result.differences]
