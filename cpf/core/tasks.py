"""Background tasks of the core app, run by the procrastinate worker (``make run`` starts it)."""

from __future__ import annotations

import os

from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from . import mail
from .models import WorkerHeartbeat

# A mail server that is down or refuses for a while (network errors and SMTP errors are all
# OSError): tried again after 5 s, 25 s, 2 min, 10 min, 52 min, 4 h 20 and 21 h 42, so for about
# a day (the links e-mailed stay valid three days). Any other error (a malformed address) will
# not heal by waiting: the job fails at once, visible in the admin's list of jobs.
EMAIL_RETRY = RetryStrategy(max_attempts=7, exponential_wait=5, retry_exceptions=[OSError])


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


@app.task(queue="emails", name="core.send_email", retry=EMAIL_RETRY)
def send_email(sealed: str) -> None:
    """Send one e-mail deferred by ``cpf.core.mail.send_later``."""
    mail.deliver(sealed)
