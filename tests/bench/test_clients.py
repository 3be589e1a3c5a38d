"""The benchmarks' concurrent clients: every request sent once (or the list again, up to the
total asked), each answer counted and given to the reader, one latency per request."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from bench.clients import Request, run_clients
from tests.bench.test_bookings import APPS

# The live server needs transactions; the flush after it leaves the referentials alone.
pytestmark = pytest.mark.django_db(transaction=True, available_apps=APPS)


def test_clients_send_each_request_and_count_the_answers(live_server):
    port = urlsplit(live_server.url).port
    requests = [Request("GET", "/sante"), Request("GET", "/page-qui-n-existe-pas")]
    read: list[tuple[int, int]] = []

    run = run_clients(
        port, requests, 4, total=10, read=lambda index, status, body: read.append((index, status))
    )

    assert run.statuses == {200: 5, 404: 5}
    assert len(run.latencies) == 10 and all(latency > 0 for latency in run.latencies)
    assert sorted(read) == [(index, 200 if index % 2 == 0 else 404) for index in range(10)]
    assert run.seconds > 0
