"""Test set-up: a real PostgreSQL (the embedded server, or DATABASE_URL in CI) holding the real
national referentials, imported once per test database."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from pytest_django.plugin import blocking_manager_key

# The data migration holding today's legal parameters (cpf/core/parameters.py).
LEGAL_PARAMETERS_SEED = "cpf.core.migrations.0005_legal_parameter_seed"


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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test ends with a flush that truncates tables, and cascades through foreign
    keys to the user: the legal parameters seeded by a migration may be gone. Put them back for
    the tests that follow, as the migration wrote them (after the last test, the test database
    itself is gone)."""
    result = yield
    if nextitem is not None and _is_transactional(item):
        with item.config.stash[blocking_manager_key].unblock():
            restore_legal_parameters()
    return result


def restore_legal_parameters() -> None:
    from django.apps import apps

    from cpf.core.models import LegalParameter

    if not LegalParameter.objects.exists():
        importlib.import_module(LEGAL_PARAMETERS_SEED).seed_legal_parameters(apps, None)


def _is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


@pytest.fixture(scope="session", autouse=True)
def remove_the_test_search_index():
    """Each test process writes its search index in a temporary folder of its own
    (config/settings/test.py): remove it at the end of the run."""
    yield
    from django.conf import settings

    folder = Path(settings.SEARCH_INDEX_DIR)
    if folder.name.startswith("cpf-test-search-index-"):
        shutil.rmtree(folder, ignore_errors=True)
