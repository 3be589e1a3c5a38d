"""The change feed of the search index, written by PostgreSQL (search migrations 0002 and 0003,
docs/adr/0006): any write to the catalogue, whatever makes it, reaches the outbox in its own
transaction and wakes the worker at commit; a bulk load asks for one rebuild instead."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection, transaction

from cpf.catalogue.bulk import bulk_load
from cpf.catalogue.generator.catalogue import generate_catalogue
from cpf.catalogue.models import Session, Training
from cpf.search.engine import SearchRequest, search
from cpf.search.indexer import apply_outbox
from cpf.search.models import SearchOutbox
from cpf.search.tasks import apply_search_outbox
from tests.factories import ProviderFactory, TrainingFactory
from tests.search.fixtures import *  # noqa: F403
from tests.search.fixtures import offer

NOW = datetime.datetime(2026, 3, 2, 8, 30, tzinfo=datetime.UTC)
# The key of the advisory lock the committing transactions take to ask for the job.
ASKING_LOCK = 0x63706677
TRANSACTIONAL_APPS = ["cpf.catalogue", "cpf.providers", "cpf.search", "procrastinate.contrib.django"]


def sql(statement: str, params: dict | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def outbox() -> list[tuple[str, int | None]]:
    return list(SearchOutbox.objects.values_list("kind", "object_id"))


def found(q: str) -> list[int]:
    return [r.action_id for r in search(SearchRequest(q=q, page_size=50), today=NOW.date()).results]


@pytest.mark.django_db
def test_a_change_made_in_sql_reaches_the_outbox_and_the_index(search_index):
    # given an indexed offer
    action = offer(title="Chaudronnier")
    search_index()
    SearchOutbox.objects.all().delete()

    # when its sessions are cancelled by an SQL statement, with no service involved
    sql("UPDATE catalogue_session SET status = 'cancelled' WHERE action_id = %(a)s", {"a": action.pk})

    # then the outbox names its training, and the index applying it no longer shows the offer
    assert outbox() == [("training", action.training_id)]
    assert apply_outbox(now=NOW).trainings == 1
    assert found("chaudronnier") == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("statement", "changed"),
    [
        (
            "INSERT INTO catalogue_session (action_id, start_date, end_date, seats, status, created_at) "
            "VALUES (%(action)s, '2027-01-04', '2027-02-26', 12, 'open', now())",
            ["training"],
        ),
        ("UPDATE catalogue_action SET price_cents = price_cents + 100 WHERE id = %(action)s", ["training"]),
        ("UPDATE catalogue_action SET training_id = %(other)s WHERE id = %(action)s", ["training", "other"]),
        ("DELETE FROM catalogue_session WHERE action_id = %(action)s", ["training"]),
        ("UPDATE catalogue_training SET title = 'Soudeur' WHERE id = %(training)s", ["training"]),
        ("DELETE FROM catalogue_training WHERE id = %(other)s", ["other"]),
    ],
)
def test_every_write_to_a_training_its_actions_or_sessions_names_the_training(statement, changed):
    action = offer()
    other = TrainingFactory()  # (a draft with no action and no history)
    ids = {"action": action.pk, "training": action.training_id, "other": other.pk}
    SearchOutbox.objects.all().delete()

    sql(statement, ids)

    assert outbox() == sorted(("training", ids[name]) for name in changed)


@pytest.mark.django_db
def test_a_statement_touching_many_rows_writes_one_row_per_training_and_transaction():
    first, second = offer(starts=(10, 40, 70)), offer(starts=(20, 50))
    SearchOutbox.objects.all().delete()

    Session.objects.update(seats=30)
    Session.objects.filter(action=first).update(seats=25)  # (already recorded in this transaction)

    assert outbox() == [("training", first.training_id), ("training", second.training_id)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("column", "value", "recorded"),
    [
        ("legal_name", "Nouveau nom", True),
        ("status", "suspended", True),
        ("email", "nouveau@organisme.example", True),
        ("phone", "0102030405", True),
        ("nda", "11755555575", False),
        ("website", "https://organisme.example", False),
        ("address", "3 place Bellecour", False),
        ("qualiopi_number", "Q-2027-001", False),
    ],
)
def test_a_provider_change_is_recorded_only_when_search_shows_the_column(column, value, recorded):
    provider = ProviderFactory()
    SearchOutbox.objects.all().delete()

    sql(
        f"UPDATE providers_provider SET {column} = %(value)s WHERE id = %(id)s",
        {"value": value, "id": provider.pk},
    )

    assert outbox() == ([("provider", provider.pk)] if recorded else [])


@pytest.mark.django_db
def test_saving_every_column_of_a_provider_when_only_its_website_changed_records_nothing():
    provider = ProviderFactory()
    SearchOutbox.objects.all().delete()

    provider.website = "https://organisme.example"
    provider.save()  # (an UPDATE of every column, as the admin does)

    assert outbox() == []


@pytest.mark.django_db
def test_a_generator_run_writes_one_rebuild_row_and_no_row_per_object():
    generate_catalogue(sessions=300, seed=7, today=NOW.date(), now=NOW)

    assert Session.objects.count() == 300
    assert outbox() == [("rebuild", None)]


@pytest.mark.django_db
def test_after_a_bulk_load_the_same_transaction_is_followed_row_by_row_again():
    with transaction.atomic(), bulk_load():
        training = TrainingFactory()
        Training.objects.filter(pk=training.pk).update(title="Pendant le chargement")

    Training.objects.filter(pk=training.pk).update(title="Après le chargement")

    assert outbox() == [("rebuild", None), ("training", training.pk)]


@pytest.mark.django_db
def test_a_failed_bulk_load_leaves_no_setting_behind():
    with pytest.raises(RuntimeError), transaction.atomic(), bulk_load():
        raise RuntimeError("the load fails")

    training = TrainingFactory()

    assert outbox() == [("training", training.pk)]


# The worker is asked at commit: transactional tests, each write committing as in production.


@pytest.fixture
def no_jobs():
    sql("DELETE FROM procrastinate_jobs")


def search_jobs() -> list[tuple[str, str, str, str | None, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT task_name, queue_name, lock, queueing_lock, status::text FROM procrastinate_jobs "
            "WHERE queue_name = 'search' ORDER BY id"
        )
        return cursor.fetchall()


@contextmanager
def other_connection() -> Iterator[psycopg.Connection]:
    with psycopg.connect(**connection.get_connection_params()) as other:
        yield other


def fetch_search_job(other: psycopg.Connection) -> int | None:
    """What a worker would fetch now (procrastinate's own function), committed at once."""
    job_id = other.execute("SELECT (procrastinate_fetch_job_v2(ARRAY['search'], NULL)).id").fetchone()[0]
    other.commit()
    return job_id


@pytest.mark.django_db(transaction=True, available_apps=TRANSACTIONAL_APPS)
def test_commits_that_change_the_catalogue_defer_one_job_for_the_worker(no_jobs):
    # when several transactions change the catalogue (each factory call commits)
    action = offer()
    Training.objects.filter(pk=action.training_id).update(title="Soudeur")

    # then one job of the task waits, deferred as procrastinate itself would
    assert search_jobs() == [
        (
            apply_search_outbox.name,
            apply_search_outbox.queue,
            apply_search_outbox.lock,
            apply_search_outbox.queueing_lock,
            "todo",
        )
    ]


@pytest.mark.django_db(transaction=True, available_apps=TRANSACTIONAL_APPS)
def test_a_waiting_job_cannot_start_before_the_change_that_relies_on_it_commits(no_jobs):
    # given a job waiting for the worker
    training = TrainingFactory()
    assert [job[-1] for job in search_jobs()] == ["todo"]

    with other_connection() as worker:
        # when a transaction changes the catalogue and reaches its commit-time step
        with transaction.atomic():
            Training.objects.filter(pk=training.pk).update(title="Soudeur")
            sql("SET CONSTRAINTS search_outbox_wakes_the_worker IMMEDIATE")
            # then the waiting job is out of a worker's reach until the commit
            assert fetch_search_job(worker) is None
        # and within reach once committed: it sees the change
        assert fetch_search_job(worker) is not None


@pytest.mark.django_db(transaction=True, available_apps=TRANSACTIONAL_APPS)
def test_a_commit_while_another_is_asking_defers_a_job_of_its_own_without_waiting(no_jobs):
    training = TrainingFactory()
    sql("DELETE FROM procrastinate_jobs")

    with other_connection() as other:
        # given another transaction at its commit-time step
        other.execute("SELECT pg_advisory_xact_lock(%s)", [ASKING_LOCK])

        # when this one commits a change
        Training.objects.filter(pk=training.pk).update(title="Soudeur")

        # then it deferred a job of its own, outside the queueing lock
        assert search_jobs() == [("search.apply_outbox", "search", "search-index", None, "todo")]
        other.rollback()
