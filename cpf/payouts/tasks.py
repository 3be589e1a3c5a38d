"""The payment runs' background work: the daily run, and the runs agents start from the
back-office (rules 20, 23)."""

from __future__ import annotations

from procrastinate.contrib.django import app

from cpf.accounts.models import User
from cpf.core import clock
from cpf.core.calendar import paris_day
from cpf.payments.tasks import moment

from .enums import RunTrigger
from .services import daily_key, run_payouts


@app.periodic(cron="30 6 * * *", periodic_id="payouts-daily")
@app.task(queue="default", name="payouts.daily_run")
def daily_run_task(timestamp: int) -> int:
    """Every morning, pay what is due (one run per French day, however often it is started)."""
    now = moment(timestamp)
    return run_payouts(key=daily_key(paris_day(now)), trigger=RunTrigger.DAILY, now=now).pk


@app.task(queue="default", name="payouts.run")
def run_task(*, key: str, actor_id: int | None = None) -> int:
    """A run an agent started (``key`` names the request: a retried job pays nothing twice)."""
    actor = User.objects.get(pk=actor_id) if actor_id is not None else None
    trigger = RunTrigger.AGENT if actor is not None else RunTrigger.DAILY
    return run_payouts(key=key, trigger=trigger, now=clock.now(), actor=actor).pk
