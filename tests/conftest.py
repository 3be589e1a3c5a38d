"""Test set-up: a real PostgreSQL (the embedded server, or DATABASE_URL in CI) holding the real
national referentials, imported once per test database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.management import call_command


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """After pytest-django has created and migrated the test database, import the real
    referentials into it once: every test sees the real ROME, RNCP and communes."""
    with django_db_blocker.unblock():
        call_command("import_referentials", verbosity=0)
        mark_as_test_database()


def mark_as_test_database() -> None:
    """Allow the flush between transactional tests to truncate the audit log, which PostgreSQL
    otherwise refuses (migration ``core.0003_audit_event_append_only``): for every later
    connection to this database, and for the current one."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET cpf.test_database = ''on''', "
            "current_database()); END $$"
        )
        cursor.execute("SET cpf.test_database = 'on'")


@pytest.fixture(scope="session", autouse=True)
def remove_the_test_search_index():
    """Each test process writes its search index in a temporary folder of its own
    (config/settings/test.py): remove it at the end of the run."""
    yield
    from django.conf import settings

    folder = Path(settings.SEARCH_INDEX_DIR)
    if folder.name.startswith("cpf-test-search-index-"):
        shutil.rmtree(folder, ignore_errors=True)
