"""Background tasks of the registration files, run by the procrastinate worker."""

from __future__ import annotations

import datetime

from procrastinate.contrib.django import app

from cpf.core import clock
from cpf.core.tasks import EMAIL_RETRY

from . import emails
from .services import lapse_overdue_registrations, validate_overdue_service_done


@app.periodic(cron="* * * * *", periodic_id="bookings-lapse")
@app.task(queue="default", name="bookings.lapse_overdue_registrations")
def lapse_overdue_registrations_task(timestamp: int) -> int:
    """Every minute, lapse the files whose deadline has passed (rules 15 and 16). The moment is
    the period's scheduled one, not the worker's clock: one deferral per minute across all
    workers, and a late run still judges the deadlines as of its minute, moved like every
    clock of the service outside production (``CLOCK_OFFSET_DAYS``, cpf/core/clock.py)."""
    return lapse_overdue_registrations(now=clock.moved(timestamp))


@app.task(queue="emails", name="bookings.send_step_email", retry=EMAIL_RETRY)
def send_step_email(registration_id: int, step: str, at: str, status: str, deadline_at: str | None) -> None:
    """Send the e-mail of one step of a file, queued in the transaction of the step
    (``emails._send_step``); retried like every e-mail when the mail server is unreachable."""
    emails.send_step(
        registration_id=registration_id,
        step=step,
        at=datetime.datetime.fromisoformat(at),
        status=status,
        deadline_at=datetime.datetime.fromisoformat(deadline_at) if deadline_at else None,
    )


@app.periodic(cron="* * * * *", periodic_id="bookings-validate-service-done")
@app.task(queue="default", name="bookings.validate_overdue_service_done")
def validate_overdue_service_done_task(timestamp: int) -> int:
    """Every minute, validate the declared services done whose 5 business days have passed
    without an agent's control (rule 21), as of the period's scheduled moment."""
    return validate_overdue_service_done(now=clock.moved(timestamp))
