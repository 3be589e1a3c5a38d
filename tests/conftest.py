"""Test set-up: a real PostgreSQL (the embedded server, or DATABASE_URL in CI) holding the real
national referentials, imported once per test database; and, on demand, the whole run with the
clock moved ahead, to prove that no test depends on the day it runs."""

from __future__ import annotations

import datetime
import importlib
import json
import os
import shutil
from pathlib import Path

import pytest
import time_machine
from asgiref.sync import async_to_sync, sync_to_async
from django.core.management import call_command
from django.test import Client
from procrastinate import utils as procrastinate_utils
from procrastinate.contrib.django import app
from procrastinate.contrib.django import db_cleanup as procrastinate_db_cleanup
from procrastinate.contrib.django.django_connector import DjangoConnector
from pytest_django.plugin import blocking_manager_key

from tests.accounts.factories import log_in_to_back_office
from tests.clock import NOW

# The data migration holding today's legal parameters (cpf/core/parameters.py).
LEGAL_PARAMETERS_SEED = "cpf.core.migrations.0005_legal_parameter_seed"

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
    the tests that follow, as the migration wrote them, and remove the worker's jobs the flush
    does not reach (after the last test, the test database itself is gone)."""
    result = yield
    if nextitem is not None and _is_transactional(item):
        with item.config.stash[blocking_manager_key].unblock():
            restore_legal_parameters()
            remove_worker_jobs()
    return result


def restore_legal_parameters() -> None:
    from django.apps import apps

    from cpf.core.models import LegalParameter

    if not LegalParameter.objects.exists():
        importlib.import_module(LEGAL_PARAMETERS_SEED).seed_legal_parameters(apps, None)


def remove_worker_jobs() -> None:
    """procrastinate's tables are not Django-managed, so the flush leaves them alone: the jobs a
    transactional test committed (e-mails among them) would be counted, or delivered, by the
    transactional tests that follow."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")


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
    documents = Path(settings.DOCUMENTS_ROOT)  # providers' documents, also per process
    if documents.name.startswith("cpf-test-documents-"):
        shutil.rmtree(documents, ignore_errors=True)


class _TestWorkerConnector(DjangoConnector):
    """procrastinate's Django connector, used by a worker inside the test's transaction. Its
    one gap as a worker's connector: Django's connection hands ``jsonb`` columns over as text
    (Django decodes them in its ``JSONField``), where the worker expects the job's arguments
    decoded, as its own psycopg connector gives them."""

    def execute_query_one(self, query, **arguments):
        return _decoded(super().execute_query_one(query, **arguments))

    def execute_query_all(self, query, **arguments):
        return [_decoded(row) for row in super().execute_query_all(query, **arguments)]


def _decoded(row):
    if isinstance(row, dict) and isinstance(row.get("args"), str):
        return {**row, "args": json.loads(row["args"])}
    return row


async def _on_the_test_thread(func, *args, **kwargs):
    """procrastinate runs a synchronous task in a thread of its own (``thread_sensitive=False``),
    whose database connection could not see the test's uncommitted rows: run it on the test's
    thread, hence on its connection, as the e-mails of a file read the file."""
    return await sync_to_async(func, thread_sensitive=True)(*args, **kwargs)


@pytest.fixture
def deliver_emails(monkeypatch):
    """``deliver_emails()`` runs procrastinate's worker once over the e-mail queue, in this
    process and on the test's own database connection (inside the test's transaction), until no
    job is left to run: the jobs ``cpf.core.mail.send_later`` and the files' steps deferred are
    executed by the real worker loop and the tasks' own code, and land in ``mail.outbox``."""
    monkeypatch.setattr(procrastinate_utils, "sync_to_async", _on_the_test_thread)
    # The worker closes a task's connection after it, which here is the test's, in its
    # transaction: keep it.
    monkeypatch.setattr(procrastinate_db_cleanup, "_cleanup_before", lambda: None)
    monkeypatch.setattr(procrastinate_db_cleanup, "_cleanup_after", lambda: None)

    def run() -> None:
        # async_to_sync keeps the connector's database calls and the tasks on this thread,
        # hence on the test's connection.
        with app.replace_connector(_TestWorkerConnector()) as worker_app:
            async_to_sync(worker_app.run_worker_async)(
                queues=["emails"], wait=False, listen_notify=False, install_signal_handlers=False
            )

    return run


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
