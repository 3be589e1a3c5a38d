"""Test set-up: a real PostgreSQL (the embedded server, or DATABASE_URL in CI) holding the real
national referentials, imported once per test database; and, on demand, the whole run with the
clock moved ahead, to prove that no test depends on the day it runs."""

from __future__ import annotations

import datetime
import os
import shutil
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from tests.clock import NOW

CLOCK_SHIFT_VARIABLE = "CPF_TEST_CLOCK_SHIFT_DAYS"


def clock_shift() -> datetime.timedelta:
    """How far ahead of the real day ``CPF_TEST_CLOCK_SHIFT_DAYS`` asks the run to happen
    (``make test-future``); none by default."""
    value = os.environ.get(CLOCK_SHIFT_VARIABLE, "").strip()
    try:
        return datetime.timedelta(days=int(value or 0))
    except ValueError:
        raise pytest.UsageError(
            f"{CLOCK_SHIFT_VARIABLE} must be a whole number of days, not {value!r}"
        ) from None


def pytest_configure(config: pytest.Config) -> None:
    """With a clock shift, Python's clock runs from (real now + shift) for the whole process,
    before anything is collected or migrated; each xdist worker runs this hook too. PostgreSQL's
    own clock (``now()``, the ``db_default=Now()`` columns) stays on the real day: tests compare
    such columns with each other, never with Python's clock."""
    shift = clock_shift()
    if shift:
        traveller = time_machine.travel(datetime.datetime.now(datetime.UTC) + shift, tick=True)
        traveller.start()
        config.add_cleanup(traveller.stop)


def pytest_report_header(config: pytest.Config) -> str | None:
    shift = clock_shift()
    if not shift:
        return None
    day = datetime.datetime.now(datetime.UTC).date()
    return f"clock shifted by {shift.days} days: the run happens on {day:%Y-%m-%d}"


@pytest.fixture
def frozen_clock(time_machine) -> datetime.datetime:
    """The clock at ``tests.clock.NOW`` (ticking on from there) for a test that goes through code
    reading the clock itself: a page, an API endpoint, an admin action, a task, a command."""
    time_machine.move_to(NOW, tick=True)
    return NOW


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
