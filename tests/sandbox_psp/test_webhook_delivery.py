"""Webhooks delivered by the real worker to a real local HTTP endpoint: signed, retried with
backoff while the endpoint fails, delivered once it answers, never sent again once delivered."""

from __future__ import annotations

import datetime
import http.server
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from procrastinate.contrib.django import app

from cpf.sandbox_psp.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from cpf.sandbox_psp.signatures import SIGNATURE_HEADER, verify_signature
from tests.conftest import _TestWorkerConnector

from .support import paid_intent

pytestmark = pytest.mark.django_db(transaction=True, available_apps=["cpf.sandbox_psp"])

SECRET = "whsec_delivery_test"


@dataclass
class Endpoint:
    """A merchant's endpoint that fails with 503 until told to answer."""

    url: str = ""
    healthy: bool = False
    received: list[tuple[bytes, str]] = field(default_factory=list)


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    state = Endpoint()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append((body, self.headers[SIGNATURE_HEADER]))
            self.send_response(200 if state.healthy else 503)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/psp"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def clock(time_machine) -> datetime.datetime:
    """Python's clock set to PostgreSQL's, ticking: the worker compares a retry's
    ``scheduled_at``, computed by Python, with the database's ``now()``, so the backoff is seen
    only when both agree (a clock frozen at another day would make every retry due at once)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        moment = cursor.fetchone()[0]
    time_machine.move_to(moment, tick=True)
    return moment


def run_worker() -> None:
    """The real worker loop over the webhooks queue until no job is due."""
    with app.replace_connector(_TestWorkerConnector()) as worker_app:
        async_to_sync(worker_app.run_worker_async)(
            queues=["webhooks"], wait=False, listen_notify=False, install_signal_handlers=False
        )


def jobs() -> list[tuple[str, int]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT status, attempts FROM procrastinate_jobs WHERE queue_name = 'webhooks'")
        return list(cursor.fetchall())


def make_retry_due() -> None:
    """Skip the backoff's wait: the retry becomes due now."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'")


def test_a_failing_endpoint_is_retried_with_backoff_and_receives_the_signed_event_later(endpoint, clock):
    WebhookEndpoint.objects.create(url=endpoint.url, secret=SECRET)
    paid_intent()
    event = WebhookEvent.objects.get()

    run_worker()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.delivered_at, delivery.last_error) == (1, None, "HTTP 503")
    assert jobs() == [("todo", 1)]  # retried later, not now: the worker found nothing due

    run_worker()
    assert len(endpoint.received) == 1  # the wait is honoured

    make_retry_due()
    run_worker()
    assert WebhookDelivery.objects.get().attempts == 2

    endpoint.healthy = True
    make_retry_due()
    run_worker()

    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 3 and delivery.delivered_at is not None and delivery.last_error == ""
    assert jobs() == [("succeeded", 3)]
    assert len(endpoint.received) == 3
    body, header = endpoint.received[-1]
    assert (
        clock.timestamp() - 1
        <= verify_signature(body, header, SECRET, now=clock.timestamp())
        <= clock.timestamp() + 60
    )
    assert body.startswith(b"{") and event.public_id.encode() in body


def test_an_unreachable_endpoint_is_retried(clock):
    WebhookEndpoint.objects.create(url="http://127.0.0.1:9/nobody-listens", secret=SECRET)
    paid_intent()

    run_worker()

    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1 and delivery.delivered_at is None
    assert "Error" in delivery.last_error
    assert jobs() == [("todo", 1)]


def test_an_event_is_sent_to_every_active_endpoint_and_only_to_them(endpoint, clock):
    endpoint.healthy = True
    WebhookEndpoint.objects.create(url=endpoint.url, secret=SECRET)
    WebhookEndpoint.objects.create(url=endpoint.url + "/second", secret="whsec_other")
    WebhookEndpoint.objects.create(url=endpoint.url + "/off", secret="x", is_active=False)
    paid_intent()

    run_worker()

    assert len(endpoint.received) == 2
    assert WebhookDelivery.objects.filter(delivered_at__isnull=False).count() == 2


def test_a_delivered_event_is_not_sent_again_by_a_duplicate_job(endpoint, clock):
    from cpf.sandbox_psp.tasks import deliver_webhook

    endpoint.healthy = True
    WebhookEndpoint.objects.create(url=endpoint.url, secret=SECRET)
    paid_intent()
    run_worker()

    deliver_webhook.defer(delivery_id=WebhookDelivery.objects.get().pk)
    run_worker()

    assert len(endpoint.received) == 1
    assert WebhookDelivery.objects.get().attempts == 1
