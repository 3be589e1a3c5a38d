"""Events of a provider's files delivered by the real worker to a real local HTTP server:
signed with the provider's secret (verified here as docs/provider-webhooks.md tells
receivers to), retried with backoff while the server fails, each attempt logged."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from asgiref.sync import async_to_sync
from django.db import connection
from procrastinate.contrib.django import app

from cpf.bookings import file_rows
from cpf.bookings.enums import RegistrationStatus
from cpf.webhooks.models import WebhookAttempt, WebhookDelivery
from cpf.webhooks.services import generate_webhook_secret, queue_file_event, set_webhook_url
from tests.clock import NOW
from tests.conftest import _TestWorkerConnector
from tests.factories import ProviderFactory
from tests.providers.files import a_holder, administrator, file_of, validated

# Every app the files touch, but not the referentials: a transactional test flushes its apps,
# and the real referentials imported once for the run must stay.
APPS = [
    "cpf.accounts",
    "cpf.core",
    "cpf.holders",
    "cpf.providers",
    "cpf.catalogue",
    "cpf.search",
    "cpf.rights",
    "cpf.ledger",
    "cpf.bookings",
    "cpf.webhooks",
    "procrastinate.contrib.django",
]
pytestmark = pytest.mark.django_db(transaction=True, available_apps=APPS)


@dataclass
class Receiver:
    """A provider's endpoint that answers 500 until told to be healthy."""

    url: str = ""
    healthy: bool = False
    received: list[tuple[bytes, str]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append((body, self.headers["Compte-Formation-Signature"]))
            self.send_response(204 if state.healthy else 500)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/cpf/events"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def wall_clock(time_machine):
    """Python's clock set to PostgreSQL's, ticking: the worker compares a retry's
    ``scheduled_at`` (Python's) with the database's ``now()``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        moment = cursor.fetchone()[0]
    time_machine.move_to(moment, tick=True)
    return moment


def run_worker() -> None:
    with app.replace_connector(_TestWorkerConnector()) as worker_app:
        async_to_sync(worker_app.run_worker_async)(
            queues=["webhooks"], wait=False, listen_notify=False, install_signal_handlers=False
        )


def jobs() -> list[tuple[str, int]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, attempts FROM procrastinate_jobs"
            " WHERE task_name = 'webhooks.deliver_file_event' ORDER BY id"
        )
        return list(cursor.fetchall())


def make_retries_due() -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE status = 'todo'")


def verify(body: bytes, header: str, secret: str, *, tolerance: int = 300) -> dict:
    """The receiver's check, as docs/provider-webhooks.md writes it."""
    parts = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, parts["v1"]) or abs(time.time() - timestamp) > tolerance:
        raise ValueError("bad signature")
    return json.loads(body)


@pytest.fixture
def provider_with_webhook(receiver):
    provider = ProviderFactory()
    admin = administrator(provider)
    set_webhook_url(provider=provider, url=receiver.url, actor=admin, now=NOW)
    _, secret = generate_webhook_secret(provider=provider, actor=admin, now=NOW)
    return provider, secret, admin


def test_each_step_of_a_file_is_delivered_signed(receiver, provider_with_webhook, terms, wall_clock):
    provider, secret, _ = provider_with_webhook
    receiver.healthy = True
    registration = file_of(provider, a_holder(terms))
    validated(registration)

    run_worker()

    events = [verify(body, header, secret) for body, header in receiver.received]
    assert sorted(
        (event["type"], event["data"].get("from_status"), event["data"]["to_status"]) for event in events
    ) == [
        ("registration.requested", None, RegistrationStatus.NOT_PROCESSED),
        ("registration.status_changed", RegistrationStatus.NOT_PROCESSED, RegistrationStatus.VALIDATED),
    ]
    assert {event["data"]["registration_id"] for event in events} == {registration.pk}
    assert len({event["id"] for event in events}) == 2
    assert jobs() == [("succeeded", 1), ("succeeded", 1)]
    assert list(WebhookAttempt.objects.values_list("number", "status_code")) == [(1, 204), (1, 204)]


def test_a_forged_or_tampered_event_fails_the_check(receiver, provider_with_webhook, terms, wall_clock):
    provider, secret, _ = provider_with_webhook
    receiver.healthy = True
    file_of(provider, a_holder(terms))
    run_worker()
    body, header = receiver.received[0]

    with pytest.raises(ValueError):
        verify(body.replace(b"requested", b"validated"), header, secret)
    with pytest.raises(ValueError):
        verify(body, header, "whsec_another_secret")


def test_a_failing_server_is_retried_with_backoff_then_receives_the_event(
    receiver, provider_with_webhook, terms, wall_clock
):
    provider, secret, _ = provider_with_webhook
    file_of(provider, a_holder(terms))

    run_worker()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.attempts, delivery.last_status_code, delivery.delivered_at) == (1, 500, None)
    assert jobs() == [("todo", 1)]
    run_worker()
    assert len(receiver.received) == 1  # the backoff's wait is honoured

    make_retries_due()
    run_worker()
    receiver.healthy = True
    make_retries_due()
    run_worker()

    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 3 and delivery.last_status_code == 204 and delivery.delivered_at is not None
    assert jobs() == [("succeeded", 3)]
    assert list(WebhookAttempt.objects.order_by("number").values_list("number", "status_code")) == [
        (1, 500),
        (2, 500),
        (3, 204),
    ]
    # the same event each time, signed anew
    assert len({json.loads(body)["id"] for body, _ in receiver.received}) == 1
    verify(*receiver.received[-1], secret)


def test_an_unreachable_server_is_retried_and_logged(provider_with_webhook, terms, wall_clock):
    provider, _, admin = provider_with_webhook
    set_webhook_url(provider=provider, url="http://127.0.0.1:9/nobody", actor=admin, now=NOW)
    file_of(provider, a_holder(terms))

    run_worker()

    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "Error" in attempt.error
    assert jobs() == [("todo", 1)]


def test_no_event_for_a_provider_without_a_webhook(receiver, terms, wall_clock):
    file_of(ProviderFactory(), a_holder(terms))

    run_worker()

    assert WebhookDelivery.objects.count() == 0
    assert jobs() == []
    assert receiver.received == []


def test_an_event_of_a_file_read_with_its_provider_asks_for_no_webhook_again(
    provider_with_webhook, terms, django_assert_num_queries
):
    provider, _, _ = provider_with_webhook
    registration = file_of(provider, a_holder(terms))
    read = file_rows.read_file(registration.pk, shown=True)

    # the delivery and its job written, the webhook not asked for again
    with django_assert_num_queries(2):
        delivery = queue_file_event(read, event_type="registration.status_changed", data={}, now=NOW)

    assert delivery is not None and delivery.endpoint == provider.webhook


@pytest.mark.parametrize("read_with_its_provider", [True, False], ids=["read with it", "asked"])
def test_no_event_for_a_webhook_without_a_secret(receiver, terms, read_with_its_provider):
    provider = ProviderFactory()
    set_webhook_url(provider=provider, url=receiver.url, actor=administrator(provider), now=NOW)
    registration = file_of(provider, a_holder(terms))
    if read_with_its_provider:
        registration = file_rows.read_file(registration.pk, shown=True)

    assert queue_file_event(registration, event_type="registration.status_changed", data={}, now=NOW) is None
    assert WebhookDelivery.objects.count() == 0
