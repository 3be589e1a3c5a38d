"""Background tasks of the rights app, run by the procrastinate worker."""

from __future__ import annotations

from procrastinate.contrib.django import app

from . import services


@app.task(queue="default", name="rights.credit_rights")
def credit_rights(year: int) -> dict[str, int]:
    """The yearly crediting run (rule 5: once a year, for year N in N+1), as a job: idempotent,
    and a second job for the same year waits for the first and then changes nothing."""
    report = services.credit_rights(year=year)
    return {
        "run_id": report.run_id,
        "accounts_credited": report.accounts_credited,
        "credited_cents": report.credited_cents,
        "accounts_capped": report.accounts_capped,
    }
