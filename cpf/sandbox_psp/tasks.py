"""The sandbox provider's background work: webhook deliveries, run by the procrastinate worker."""

from __future__ import annotations

from django.db import connection
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from cpf.core import clock

from .webhooks import DeliveryFailed, attempt_delivery

# An endpoint down or answering an error: tried again after 2 s, 4 s, 8 s…, each wait doubling
# (the 15th attempt about 18 hours after the first), as a real provider keeps trying for hours.
# Any other exception (a bug) fails the job at once, visible in the admin's list of jobs.
WEBHOOK_RETRY = RetryStrategy(max_attempts=15, exponential_wait=2, retry_exceptions=[DeliveryFailed])


@app.task(queue="webhooks", name="sandbox_psp.deliver_webhook", retry=WEBHOOK_RETRY)
def deliver_webhook(delivery_id: int) -> None:
    """Deliver one event to one endpoint (``cpf.sandbox_psp.webhooks.attempt_delivery``)."""
    try:
        attempt_delivery(delivery_id=delivery_id, now=clock.now())
    finally:
        # A synchronous job runs on a thread of the worker's pool, which no request cycle cleans
        # up: its database connection is closed here rather than left open on an idle thread.
        connection.close()


@app.periodic(cron="17 * * * *", periodic_id="sandbox_psp_prune_idempotency")
@app.task(queue="default", name="sandbox_psp.prune_idempotency_records")
def prune_idempotency_records(timestamp: int) -> int:
    """Every hour, forget the idempotent answers older than a day."""
    # Imported here: the services import this module to defer deliveries.
    from .services import prune_idempotency_records as prune

    return prune(now=clock.now())
