"""Requests sent at once, as an attacker's script sends them: each thread has its own test
client and its own database connection."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.test import Client


def run_at_once(works: list[Callable[[], Any]]) -> list[Any]:
    """Run every ``work`` in its own thread, all released together; returns their results in
    the order given (an exception raised is returned in its place)."""
    start = threading.Barrier(len(works))
    results: list[Any] = [None] * len(works)

    def run(position: int, work: Callable[[], Any]) -> None:
        try:
            start.wait()
            results[position] = work()
        except BaseException as exc:
            results[position] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, work)) for i, work in enumerate(works)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def post_at_once(
    path: str, payloads: list[dict], *, json: bool = False, remote_addr: str = "127.0.0.1"
) -> Counter:
    """POST each payload at once from one address; counts the status codes of the answers."""

    def post(payload: dict) -> Callable[[], int]:
        def send() -> int:
            client = Client(REMOTE_ADDR=remote_addr)
            if json:
                return client.post(path, payload, content_type="application/json").status_code
            return client.post(path, payload).status_code

        return send

    return Counter(run_at_once([post(payload) for payload in payloads]))
