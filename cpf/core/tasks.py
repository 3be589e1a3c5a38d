"""Background tasks of the core app, run by the procrastinate worker (``make run`` starts it)."""

from __future__ import annotations

import os

from procrastinate.contrib.django import app

from .models import WorkerHeartbeat


@app.task(queue="default", name="core.record_heartbeat")
def record_heartbeat(token: str = "") -> int:
    """Record that a worker executed a job; returns the row id."""
    return WorkerHeartbeat.objects.create(token=token, worker_pid=os.getpid()).pk


@app.periodic(cron="*/5 * * * *", periodic_id="heartbeat")
@app.task(queue="default", name="core.periodic_heartbeat")
def periodic_heartbeat(timestamp: int) -> None:
    """Every five minutes, leave a heartbeat so that agents can see the worker is alive."""
    WorkerHeartbeat.objects.create(token="periodic", worker_pid=os.getpid())
    # Keep a day's worth of beats at most: this table is a health probe, not a history.
    stale = (
        WorkerHeartbeat.objects.filter(token="periodic").order_by("-at").values_list("pk", flat=True)[288:]
    )
    WorkerHeartbeat.objects.filter(pk__in=list(stale)).delete()
