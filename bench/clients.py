"""Concurrent HTTP clients of the benchmarks: Python threads, each on its own keep-alive
connection, taking the next request of a shared list until it is done."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, closing
from dataclasses import dataclass, field
from http.client import HTTPConnection
from typing import TypeVar

C = TypeVar("C")
R = TypeVar("R")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Run:
    """What the clients measured: the wall time of the whole run, each request's latency (s)
    and the count of each status."""

    seconds: float
    latencies: list[float]
    statuses: Counter[int]


def run_clients(
    port: int,
    requests: Sequence[Request],
    clients: int,
    *,
    total: int | None = None,
    read: Callable[[int, int, bytes], None] | None = None,
) -> Run:
    """Send ``total`` requests (by default each of ``requests`` once; beyond, the list again
    from its start) from ``clients`` threads. ``read`` is given each (index, status, body)."""
    lock = threading.Lock()
    statuses: Counter[int] = Counter()

    def send(conn: HTTPConnection, number: int) -> tuple[int, bytes]:
        request = requests[number % len(requests)]
        conn.request(request.method, request.path, body=request.body, headers=request.headers)
        response = conn.getresponse()
        return response.status, response.read()

    def after(number: int, answer: tuple[int, bytes]) -> None:
        with lock:
            statuses[answer[0]] += 1
        if read is not None:
            read(number, *answer)

    seconds, latencies = timed_in_threads(
        len(requests) if total is None else total,
        clients,
        lambda: closing(HTTPConnection("127.0.0.1", port, timeout=60)),
        send,
        after,
    )
    return Run(seconds, latencies, statuses)


def timed_in_threads(
    total: int,
    clients: int,
    connect: Callable[[], AbstractContextManager[C]],
    one: Callable[[C, int], R],
    after: Callable[[int, R], None] | None = None,
) -> tuple[float, list[float]]:
    """``clients`` threads, each on its own connection from ``connect``, take the numbers
    0 to ``total`` - 1 in turn and time ``one(connection, number)``; ``after`` is given each
    number and what ``one`` returned, outside the time. (Wall time of the whole, latencies.)"""
    lock = threading.Lock()
    state = {"next": 0}
    latencies: list[float] = []

    def worker() -> None:
        own = []
        with connect() as conn:
            while True:
                with lock:
                    number = state["next"]
                    state["next"] += 1
                if number >= total:
                    break
                started = time.perf_counter()
                answer = one(conn, number)
                own.append(time.perf_counter() - started)
                if after is not None:
                    after(number, answer)
        with lock:
            latencies.extend(own)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies
