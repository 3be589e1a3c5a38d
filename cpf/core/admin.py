import json

from django.contrib import admin
from django.utils.html import format_html

from .admin_actions import ReadOnlyAdmin
from .models import AuditEvent, WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["at", "worker_pid", "token"]
    readonly_fields = ["at", "worker_pid", "token"]

    def has_add_permission(self, request):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log, read-only: nobody changes it, not even here (the database refuses it)."""

    list_display = ["at", "event", "actor", "actor_role", "system_job", "target", "organisation"]
    list_filter = ["event", "actor_role"]
    date_hierarchy = "at"
    search_fields = ["=target_id", "=request_id"]
    search_help_text = "Identifiant exact de l'objet concerné ou de la requête."
    list_select_related = ["actor"]
    show_full_result_count = False
    fields = [
        "at",
        "event",
        "actor",
        "actor_role",
        "system_job",
        "organisation",
        "target",
        "changes_shown",
        "reason",
        "request_id",
        "ip_address",
    ]
    readonly_fields = fields

    @admin.display(description="objet")
    def target(self, event):
        return f"{event.target_type} n° {event.target_id}" if event.target_id else "—"

    @admin.display(description="pour le compte de")
    def organisation(self, event):
        return f"{event.organisation_type} n° {event.organisation_id}" if event.organisation_id else "—"

    @admin.display(description="modifications")
    def changes_shown(self, event):
        return format_html("<pre>{}</pre>", json.dumps(event.changes, ensure_ascii=False, indent=2))
