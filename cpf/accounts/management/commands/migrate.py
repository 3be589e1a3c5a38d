"""``manage.py migrate``, with a plain-words stop for a database created before the one login
model of every audience (``accounts.User``, docs/adr/0007).

Such a database holds its logins in Django's ``auth_user`` table and has Django's own
migrations recorded before ``accounts``: Django would stop with "InconsistentMigrationHistory".
No production database predates it; a developer's local one is demo data, recreated in minutes.
"""

from __future__ import annotations

from django.core.management import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

RESET_HELP = """\
This database was created before the login model of every audience (accounts.User): it cannot
be migrated in place. It holds only development data. To start again with a fresh one:

  - embedded database (no DATABASE_URL):   make reset-db && make run
  - another PostgreSQL database:            drop and recreate it, then: make run

(see docs/adr/0007-one-user-model-for-every-audience.md)"""


class Command(DjangoMigrate):
    def handle(self, *args, **options):
        database = options.get("database") or "default"
        if predates_accounts(database):
            raise CommandError(RESET_HELP)
        return super().handle(*args, **options)


def predates_accounts(database: str = "default") -> bool:
    """Django's contrib apps are migrated there, but not the ``accounts`` app they now depend on."""
    recorder = MigrationRecorder(connections[database])
    if not recorder.has_table():
        return False
    applied = {app for app, _ in recorder.applied_migrations()}
    return "admin" in applied and "accounts" not in applied
