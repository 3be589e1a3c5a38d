"""Delivering one webhook to one endpoint: a signed POST, recorded attempt by attempt."""

from __future__ import annotations

import datetime
import json
import urllib.error
import urllib.request

from django.db import transaction

from .models import WebhookDelivery
from .signatures import SIGNATURE_HEADER, sign

DELIVERY_TIMEOUT_SECONDS = 10


class DeliveryFailed(Exception):
    """The endpoint did not acknowledge the event (no answer, or not a 2xx): try again later."""


def event_body(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.event.payload, separators=(",", ":"), sort_keys=True).encode()


def attempt_delivery(*, delivery_id: int, now: datetime.datetime) -> bool:
    """Send the event once more unless already delivered; True when the endpoint acknowledged it.

    At least once: the endpoint may have processed an event whose acknowledgement got lost, and
    receives it again (receivers drop duplicates by event id). Raises DeliveryFailed otherwise,
    after recording the attempt, for the worker to retry with its backoff.
    """
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    if delivery.delivered_at is not None:
        return False
    body = event_body(delivery)
    request = urllib.request.Request(
        delivery.endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, delivery.endpoint.secret, timestamp=int(now.timestamp())),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        record_attempt(delivery_id=delivery_id, error=f"{type(error).__name__}: {error}", now=None)
        raise DeliveryFailed(str(error)) from error
    if not 200 <= status < 300:
        record_attempt(delivery_id=delivery_id, error=f"HTTP {status}", now=None)
        raise DeliveryFailed(f"HTTP {status}")
    record_attempt(delivery_id=delivery_id, error="", now=now)
    return True


def record_attempt(*, delivery_id: int, error: str, now: datetime.datetime | None) -> None:
    """Count one attempt; ``now`` given marks the delivery done."""
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        delivery.attempts += 1
        delivery.last_error = error[:500]
        if now is not None and delivery.delivered_at is None:
            delivery.delivered_at = now
        delivery.save(update_fields=["attempts", "last_error", "delivered_at"])
