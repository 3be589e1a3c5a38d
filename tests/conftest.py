"""Test set-up: a real PostgreSQL (the embedded server, or DATABASE_URL in CI) holding the real
national referentials, imported once per test database."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from tests.accounts.factories import log_in_to_back_office


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """After pytest-django has created and migrated the test database, import the real
    referentials into it once: every test sees the real ROME, RNCP and communes."""
    with django_db_blocker.unblock():
        call_command("import_referentials", verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def remove_the_test_search_index():
    """Each test process writes its search index in a temporary folder of its own
    (config/settings/test.py): remove it at the end of the run."""
    yield
    from django.conf import settings

    folder = Path(settings.SEARCH_INDEX_DIR)
    if folder.name.startswith("cpf-test-search-index-"):
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def admin_user(db):
    """An agent with every permission (replaces pytest-django's: only agents are staff)."""
    from cpf.accounts.models import User

    return User.objects.create_superuser("admin", "admin@example.com", "Agent2026x")


@pytest.fixture
def admin_client(admin_user):
    """A client logged in to the back-office as ``admin_user``, second factor verified
    (replaces pytest-django's: the back-office requires the second factor)."""
    client = Client()
    log_in_to_back_office(client, admin_user)
    return client
