"""Cross-cutting records: the background worker's heartbeat."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """Written by the ``record_heartbeat`` task each time a worker runs it: proves that jobs
    deferred through procrastinate are picked up and executed by a real worker."""

    token = models.CharField("jeton", max_length=64, blank=True)
    worker_pid = models.PositiveIntegerField("processus du worker")
    at = models.DateTimeField("le", auto_now_add=True)

    class Meta:
        verbose_name = "battement du worker"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} (pid {self.worker_pid})"
