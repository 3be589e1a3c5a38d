"""Background tasks for training organisations."""

from __future__ import annotations

from django.utils import timezone
from procrastinate.contrib.django import app

from cpf.core import clock

from .services import end_lapsed_delistings


@app.periodic(cron="15 2 * * *", periodic_id="end_lapsed_delistings")
@app.task(queue="default", name="providers.end_lapsed_delistings")
def end_lapsed_delistings_task(timestamp: int) -> int:
    """Every night, end the temporary de-listings whose period is over (rule 26)."""
    now = clock.now()
    return end_lapsed_delistings(today=timezone.localdate(now), now=now)
