"""Background tasks of the registration files, run by the procrastinate worker."""

from __future__ import annotations

from procrastinate.contrib.django import app

from cpf.core import clock

from .services import lapse_overdue_registrations, validate_overdue_service_done


@app.periodic(cron="* * * * *", periodic_id="bookings-lapse")
@app.task(queue="default", name="bookings.lapse_overdue_registrations")
def lapse_overdue_registrations_task(timestamp: int) -> int:
    """Every minute, lapse the files whose deadline has passed (rules 15 and 16). The moment is
    the period's scheduled one, not the worker's clock: one deferral per minute across all
    workers, and a late run still judges the deadlines as of its minute, moved like every
    clock of the service outside production (``CLOCK_OFFSET_DAYS``, cpf/core/clock.py)."""
    return lapse_overdue_registrations(now=clock.moved(timestamp))


@app.periodic(cron="* * * * *", periodic_id="bookings-validate-service-done")
@app.task(queue="default", name="bookings.validate_overdue_service_done")
def validate_overdue_service_done_task(timestamp: int) -> int:
    """Every minute, validate the declared services done whose 5 business days have passed
    without an agent's control (rule 21), as of the period's scheduled moment."""
    return validate_overdue_service_done(now=clock.moved(timestamp))
