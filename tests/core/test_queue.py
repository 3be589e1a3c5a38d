"""A worker's job written with the change that causes it (cpf/core/queue.py, ADR 23): the row is
the one procrastinate's ``defer`` writes, committed with the change or not at all, and run by
the real worker."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection, transaction

from cpf.bookings.tasks import send_step_email
from cpf.core import rows
from cpf.core.models import WorkerHeartbeat
from cpf.core.queue import job_row
from cpf.core.tasks import record_heartbeat
from cpf.search.tasks import apply_search_outbox

COLUMNS = "queue_name, task_name, priority, lock, queueing_lock, args, status, scheduled_at, attempts"
STEP = {"registration_id": 1, "step": "accepted", "at": "2026-12-08T10:00:00+00:00", "status": "accepted"}


def job(job_id: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {COLUMNS} FROM procrastinate_jobs WHERE id = %s", [job_id])
        return cursor.fetchone()


def events(job_id: int) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT type::text FROM procrastinate_events WHERE job_id = %s ORDER BY id", [job_id])
        return [row[0] for row in cursor.fetchall()]


def forget(job_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs WHERE id = %s", [job_id])


def written_as_row(task, **kwargs) -> int:
    row = job_row(task, **kwargs)
    row.save()
    return row.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("task", "kwargs"),
    [
        (send_step_email, {**STEP, "deadline_at": None}),
        (record_heartbeat, {"token": "é « guillemets »"}),
        # a task with its own lock and queueing lock
        (apply_search_outbox, {}),
    ],
    ids=["e-mail of a step", "heartbeat", "locks"],
)
def test_a_job_row_is_the_job_that_defer_writes(task, kwargs):
    # given the job procrastinate's defer writes (taken off the queue again: a queueing lock
    # admits one waiting job)
    deferred = task.defer(**kwargs)
    expected, expected_events = job(deferred), events(deferred)
    forget(deferred)

    # when the same job is written as a row
    written = written_as_row(task, **kwargs)

    # then it is the same, column for column, with the same event
    assert job(written) == expected
    assert events(written) == expected_events == ["deferred"]


@pytest.mark.django_db
def test_a_job_written_with_a_change_is_run_by_the_worker(deliver_emails, monkeypatch):
    # given a change written with the e-mail job of a step, in one statement
    sent = []
    monkeypatch.setattr("cpf.bookings.emails.send_step", lambda **kwargs: sent.append(kwargs))
    beat = WorkerHeartbeat.objects.create(worker_pid=1)
    beat.token = "changed"
    rows.write_together(
        update=beat, fields=["token"], inserts=[job_row(send_step_email, **STEP, deadline_at=None)]
    )

    # when the worker runs
    deliver_emails()

    # then the change is written and the task ran with the job's arguments
    assert WorkerHeartbeat.objects.get(pk=beat.pk).token == "changed"
    [arguments] = sent
    assert (arguments["registration_id"], arguments["step"], arguments["deadline_at"]) == (
        1,
        "accepted",
        None,
    )
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_job_written_with_a_change_rolled_back_is_not_queued():
    beat = WorkerHeartbeat.objects.create(worker_pid=1)

    # when the change and its job are written, then the transaction rolls back
    with pytest.raises(RuntimeError), transaction.atomic():
        beat.token = "changed"
        rows.write_together(update=beat, fields=["token"], inserts=[job_row(record_heartbeat, token="x")])
        raise RuntimeError("refused after the write")

    # then neither the change nor the job is left
    assert WorkerHeartbeat.objects.get(pk=beat.pk).token == ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'core.record_heartbeat'")
        assert cursor.fetchone() == (0,)
