"""Background tasks for training organisations."""

from __future__ import annotations

from django.utils import timezone
from procrastinate.contrib.django import app

from cpf.core import clock

from . import qualiopi
from .services import end_lapsed_delistings


@app.periodic(cron="15 2 * * *", periodic_id="end_lapsed_delistings")
@app.task(queue="default", name="providers.end_lapsed_delistings")
def end_lapsed_delistings_task(timestamp: int) -> int:
    """Every night, end the temporary de-listings whose period is over (rule 26)."""
    now = clock.now()
    return end_lapsed_delistings(today=timezone.localdate(now), now=now)


@app.periodic(cron="30 2 * * *", periodic_id="qualiopi_expiry")
@app.task(queue="default", name="providers.qualiopi_expiry")
def qualiopi_expiry_task(timestamp: int) -> dict[str, int]:
    """Every night, warn providers whose Qualiopi certificate ends within 60 or 30 days, and
    unpublish the offers of those whose certificate has ended (rule 24); idempotent."""
    now = clock.now()
    today = timezone.localdate(now)
    return {
        "warned": qualiopi.warn_expiring_certificates(today=today, now=now),
        "unpublished": qualiopi.unpublish_offers_of_expired_certificates(today=today, now=now),
    }
