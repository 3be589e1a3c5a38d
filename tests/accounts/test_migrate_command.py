"""A developer's database created before the one login model of every audience: ``migrate``
(so ``make run``) stops with plain words and the way out, instead of Django's
"InconsistentMigrationHistory" (docs/adr/0007)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db.migrations.recorder import MigrationRecorder

from cpf.accounts.management.commands.migrate import predates_accounts

pytestmark = pytest.mark.django_db


def test_a_database_migrated_with_the_accounts_app_goes_on_as_usual():
    assert predates_accounts() is False

    call_command("migrate", "--check", verbosity=0)  # nothing to apply, no refusal


def test_a_database_from_before_the_accounts_app_is_told_how_to_start_again():
    # given a history where Django's own apps are migrated but the accounts app is not
    MigrationRecorder.Migration.objects.filter(app="accounts").delete()

    with pytest.raises(CommandError) as refused:
        call_command("migrate", verbosity=0)

    assert predates_accounts() is True
    assert "cannot\nbe migrated in place" in str(refused.value)
    assert "make reset-db && make run" in str(refused.value)
