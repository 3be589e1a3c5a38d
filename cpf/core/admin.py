from django.contrib import admin

from . import job_admin  # noqa: F401  (procrastinate's job admin without inline styles)
from .models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["at", "worker_pid", "token"]
    readonly_fields = ["at", "worker_pid", "token"]

    def has_add_permission(self, request):
        return False
