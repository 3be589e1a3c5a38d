"""A worker's job written with the change that causes it, in the same statement (ADR 23).

``Task.defer`` costs a statement of its own, and on the service's busiest path (a holder's
acceptance) procrastinate's deferring machinery cost more processor time than anything else
but the database. ``job_row`` builds the row that ``task.defer(**kwargs)`` would write, for
``rows.write_together`` to insert beside the change: the job is committed with the change or
not at all, exactly as a job deferred in the change's transaction.

What procrastinate writes is checked by a test (tests/core/test_queue.py): the row built here
and the one its ``defer`` writes must stay the same, column for column.
"""

from __future__ import annotations

from typing import Any

from procrastinate import jobs
from procrastinate.tasks import Task

from .models import QueuedJob


def job_row(task: Task, **task_kwargs: Any) -> QueuedJob:
    """The job ``task.defer(**task_kwargs)`` would queue, with the task's own queue, priority
    and locks, not yet written."""
    return QueuedJob(
        queue_name=task.queue or jobs.DEFAULT_QUEUE,
        task_name=task.name,
        priority=task.priority if task.priority is not None else jobs.DEFAULT_PRIORITY,
        lock=task.lock,
        queueing_lock=task.queueing_lock,
        args=task_kwargs,
        scheduled_at=None,
    )
