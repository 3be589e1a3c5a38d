"""Test set-up: a real PostgreSQL (the embedded server, or DATABASE_URL in CI) holding the real
national referentials, imported once per test database."""

from __future__ import annotations

import pytest
from django.core.management import call_command


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """After pytest-django has created and migrated the test database, import the real
    referentials into it once: every test sees the real ROME, RNCP and communes."""
    with django_db_blocker.unblock():
        call_command("import_referentials", verbosity=0)
