"""Background tasks of the accounts app, run by the procrastinate worker."""

from __future__ import annotations

from procrastinate.contrib.django import app

from cpf.core import clock

from .throttling import forget_stale_counters


@app.periodic(cron="17 * * * *", periodic_id="forget_stale_login_counters")
@app.task(queue="default", name="accounts.forget_stale_login_counters")
def forget_stale_login_counters(timestamp: int) -> int:
    """Every hour, delete the login-failure counters that have expired (failed logins with
    unknown NIRs or addresses would otherwise pile up)."""
    return forget_stale_counters(now=clock.now())
