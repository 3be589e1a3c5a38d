"""Background work of the providers' webhooks, run by the procrastinate worker."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from .delivery import DeliveryFailed, attempt

# An endpoint down or answering an error: tried again after 2 s, 4 s, 8 s…, each wait doubling,
# 12 attempts in all (the last about 1 h 08 after the first). Any other exception (a bug) fails
# the job at once, visible in the admin's list of jobs.
WEBHOOK_RETRY = RetryStrategy(max_attempts=12, exponential_wait=2, retry_exceptions=[DeliveryFailed])


@app.task(queue="webhooks", name="webhooks.deliver_file_event", retry=WEBHOOK_RETRY)
def deliver_file_event(delivery_id: int) -> None:
    """Deliver one event of a file to its provider's webhook (``cpf.webhooks.delivery.attempt``)."""
    try:
        # Signed with the wall clock: the receiver judges a signature's age on its own clock.
        attempt(delivery_id=delivery_id, now=timezone.now())
    finally:
        # A synchronous job runs on a thread of the worker's pool, which no request cycle
        # cleans up: its connection is closed here rather than left open on an idle thread.
        connection.close()
