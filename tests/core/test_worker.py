"""The background worker: a job deferred in the database is executed by a real worker process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from cpf.core.models import WorkerHeartbeat
from cpf.core.tasks import record_heartbeat

ROOT = Path(__file__).resolve().parents[2]


def start_worker() -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_NAME": connection.settings_dict["NAME"],
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "procrastinate", "worker", "--queues", "default"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for_heartbeat(token: str, timeout: float = 30.0) -> WorkerHeartbeat | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        beat = WorkerHeartbeat.objects.filter(token=token).first()
        if beat is not None:
            return beat
        time.sleep(0.2)
    return None


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, available_apps=["cpf.core", "procrastinate.contrib.django"])
def test_a_deferred_heartbeat_is_executed_by_a_running_worker():
    # given a worker process running against the test database
    worker = start_worker()
    try:
        # when a job is deferred
        job_id = record_heartbeat.defer(token="health-check-1")

        # then the worker executes it: the heartbeat row appears, written by another process
        beat = wait_for_heartbeat("health-check-1")
        assert beat is not None
        assert beat.worker_pid != os.getpid()
        with connection.cursor() as cursor:
            cursor.execute("SELECT status FROM procrastinate_jobs WHERE id = %s", [job_id])
            deadline = time.monotonic() + 10
            status = cursor.fetchone()[0]
            while status != "succeeded" and time.monotonic() < deadline:
                time.sleep(0.2)
                cursor.execute("SELECT status FROM procrastinate_jobs WHERE id = %s", [job_id])
                status = cursor.fetchone()[0]
        assert status == "succeeded"
    finally:
        worker.terminate()
        worker.wait(timeout=20)
