"""The card payments' background work, run by the procrastinate worker every minute."""

from __future__ import annotations

import datetime

from procrastinate.contrib.django import app

from cpf.bookings.checkout import recover_payments, send_refunds
from cpf.core import clock


def moment(timestamp: int) -> datetime.datetime:
    """The period's scheduled moment (not the worker's clock: a late run judges as of its
    minute), moved as the clock is outside production (``CLOCK_OFFSET_DAYS``)."""
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC) + clock.offset()


@app.periodic(cron="* * * * *", periodic_id="payments-recover")
@app.task(queue="default", name="payments.recover_payments")
def recover_payments_task(timestamp: int) -> int:
    """Settle the card payments left waiting (``cpf.bookings.checkout.recover_payments``)."""
    return recover_payments(now=moment(timestamp))


@app.periodic(cron="* * * * *", periodic_id="payments-refunds")
@app.task(queue="default", name="payments.send_refunds")
def send_refunds_task(timestamp: int) -> int:
    """Send the card refunds due to the provider (``cpf.bookings.checkout.send_refunds``)."""
    return send_refunds(now=moment(timestamp))
