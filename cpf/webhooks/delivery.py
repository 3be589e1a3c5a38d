"""Delivering one event of a file to its provider's webhook: a signed POST, each attempt
logged with its HTTP status (or network error), its time and its number."""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from cpf.core import crypto

from .models import WebhookAttempt, WebhookDelivery
from .signatures import SIGNATURE_HEADER, sign

TIMEOUT_SECONDS = 10
USER_AGENT = "Compte-Formation-Webhooks/1"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is not followed: the endpoint answered with a 3xx, which is no
    acknowledgement, and following it could lead the worker anywhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


OPENER = urllib.request.build_opener(_NoRedirect)


def refused_destination(url: str) -> str:
    """Why events may not be sent to ``url`` now, or "" when they may: an address of a
    non-public network (loopback, private, link-local such as a cloud's metadata service,
    reserved), where a provider's webhook could otherwise make the worker reach the operator's
    own services. The name is resolved at each attempt, since what it points to can change;
    the local host is allowed where ``PROVIDER_WEBHOOKS_ALLOW_LOCAL_HTTP`` is on (development
    and tests)."""
    from .services import LOCAL_HOSTS

    host = urlsplit(url).hostname or ""
    if host in LOCAL_HOSTS and settings.PROVIDER_WEBHOOKS_ALLOW_LOCAL_HTTP:
        return ""
    try:
        found = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return ""  # not resolved: the attempt fails on its own and is logged as such
    for *_, address in found:
        ip = ipaddress.ip_address(str(address[0]).split("%")[0])
        if not ip.is_global:
            return f"Adresse d'un réseau non public refusée ({ip})."
    return ""


class DeliveryFailed(Exception):
    """The provider's endpoint did not acknowledge the event (no answer, or not a 2xx): the
    worker tries again later."""


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def attempt(*, delivery_id: int, now: datetime.datetime) -> bool:
    """Send the event once more unless already delivered or the webhook was switched off
    since; True when the endpoint acknowledged it (a 2xx). Otherwise the attempt is logged and
    ``DeliveryFailed`` raised, for the worker to retry with its backoff. At least once: an
    endpoint whose acknowledgement was lost receives the event again (same ``id``)."""
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if delivery.delivered_at is not None or not endpoint.active:
        return False
    body = body_of(delivery)
    secret = crypto.decrypt(endpoint.secret_sealed)
    request = urllib.request.Request(
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: sign(body, secret, timestamp=int(now.timestamp())),
        },
    )
    started = time.monotonic()
    status: int | None = None
    error = refused_destination(endpoint.url)
    try:
        if not error:
            with OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
                status = response.status
    except urllib.error.HTTPError as refused:
        status = refused.code
        refused.close()
    except OSError as failure:
        error = f"{type(failure).__name__}: {failure}"
    delivered = status is not None and 200 <= status < 300
    _record(delivery_id, status=status, error=error, now=now, delivered=delivered, started=started)
    if not delivered:
        raise DeliveryFailed(error or f"HTTP {status}")
    return True


def _record(
    delivery_id: int,
    *,
    status: int | None,
    error: str,
    now: datetime.datetime,
    delivered: bool,
    started: float,
) -> None:
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        delivery.attempts += 1
        delivery.last_status_code = status
        if delivered and delivery.delivered_at is None:
            delivery.delivered_at = now
        delivery.save(update_fields=["attempts", "last_status_code", "delivered_at"])
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            at=now,
            status_code=status,
            error=error[:500],
            duration_ms=int((time.monotonic() - started) * 1000),
        )
