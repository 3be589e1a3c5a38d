"""Freshness: a catalogue change is searchable within 2 seconds, applied by a real worker
process (the procrastinate worker, as ``make run`` starts it) from the outbox. The worker runs
at the tests' ``NOW`` (``tests.clock``), the moment the offers' sessions are dated from."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection

from cpf.catalogue.services import publish_training, unpublish_training
from cpf.providers.services import suspend_provider
from cpf.search.engine import SearchRequest, search
from cpf.search.indexer import apply_outbox, current_version
from cpf.search.models import SearchIndexState
from tests.clock import NOW, TODAY, on_this_clock
from tests.search.fixtures import *  # noqa: F403
from tests.search.fixtures import offer

ROOT = Path(__file__).resolve().parents[2]
FRESHNESS_SECONDS = 2.0
APPS = ["cpf.catalogue", "cpf.providers", "cpf.search", "procrastinate.contrib.django"]


def start_worker(index_dir: Path, *, listen_notify: bool = True) -> subprocess.Popen:
    worker = ["manage.py", "procrastinate", "worker", "--queues", "search"]
    if not listen_notify:
        worker.append("--no-listen-notify")
    command, clock = on_this_clock(worker, at=NOW)
    env = {
        **os.environ,
        **clock,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_NAME": connection.settings_dict["NAME"],
        "SEARCH_INDEX_DIR": str(index_dir),
    }
    return subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@contextmanager
def running_worker(index_dir: Path, *, listen_notify: bool = True) -> Iterator[subprocess.Popen]:
    worker = start_worker(index_dir, listen_notify=listen_notify)
    try:
        yield worker
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        worker.stderr.close()


def second_offer_applied(worker: subprocess.Popen, first, title: str, word: str):
    """A second offer of ``title`` whose publication reaches the index through ``worker``: the
    worker is up once it has applied a first change."""
    second = offer(title=title)
    unpublish_training(training=second.training, actor=None, reason="Mise à jour", now=NOW)
    publish_training(training=second.training, actor=None, now=NOW)
    warm = wait_until(lambda: action_ids(word) == {first.pk, second.pk}, timeout=60)
    assert warm is not None, worker.stderr.read1().decode() if worker.poll() is not None else "no worker"
    return second


def wait_until(condition, timeout: float) -> float | None:
    """Seconds until ``condition()`` holds (polled every 20 ms), None after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.02)
    return None


def action_ids(q: str) -> set[int]:
    return {r.action_id for r in search(SearchRequest(q=q, page_size=50), today=TODAY).results}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, available_apps=APPS)
def test_changes_are_searchable_within_two_seconds_through_a_real_worker(search_index, settings):
    # given an index and a worker process applying the outbox to it
    first = offer(title="Chaudronnier soudeur")
    search_index()
    with running_worker(Path(settings.SEARCH_INDEX_DIR)) as worker:
        second = second_offer_applied(worker, first, "Chaudronnier soudeur", "chaudronnier")

        # when a training is withdrawn, then it leaves the results within 2 s
        unpublish_training(training=first.training, actor=None, reason="Fin", now=NOW)
        withdrawn = wait_until(lambda: action_ids("chaudronnier") == {second.pk}, timeout=10)

        # when a provider is suspended, then its offers leave the results within 2 s
        suspend_provider(provider=second.training.provider, actor=None, reason="Contrôle", now=NOW)
        suspended = wait_until(lambda: action_ids("chaudronnier") == set(), timeout=10)

        # when a training is published again (its provider is referenced), it comes back
        publish_training(training=first.training, actor=None, now=NOW)
        published = wait_until(lambda: action_ids("chaudronnier") == {first.pk}, timeout=10)

    print(f"\nsearchable after: withdrawn {withdrawn} s, suspended {suspended} s, published {published} s")
    assert withdrawn is not None and withdrawn < FRESHNESS_SECONDS
    assert suspended is not None and suspended < FRESHNESS_SECONDS
    assert published is not None and published < FRESHNESS_SECONDS
    # the worker recorded how far it went; nothing is left to apply
    state = SearchIndexState.objects.get(version=current_version())
    assert state.applied_at is not None and state.last_applied_id > 0
    assert apply_outbox(now=NOW).rows == 0


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, available_apps=APPS)
def test_a_change_whose_notification_the_worker_missed_is_searchable_within_two_seconds(
    search_index, settings
):
    """The worker can miss the notification of a new job (one that arrives while it is looking
    for the next job): it then finds the job by looking again, often enough for the 2 seconds.
    Here it receives no notification at all."""
    first = offer(title="Tailleur de pierre")
    search_index()
    with running_worker(Path(settings.SEARCH_INDEX_DIR), listen_notify=False) as worker:
        second = second_offer_applied(worker, first, "Tailleur de pierre", "tailleur")

        # (the worker, done with that change, waits: only its next look finds the next one)
        time.sleep(1.0)
        unpublish_training(training=first.training, actor=None, reason="Fin", now=NOW)
        withdrawn = wait_until(lambda: action_ids("tailleur") == {second.pk}, timeout=10)

    print(f"\nsearchable after {withdrawn} s without notification")
    assert withdrawn is not None and withdrawn < FRESHNESS_SECONDS
