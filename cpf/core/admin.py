import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from . import (
    audit_filters,
    clock,
    job_admin,  # noqa: F401  (procrastinate's job admin without inline styles)
    parameters,
)
from .admin_actions import ReadOnlyAdmin
from .enums import ParameterUnit
from .errors import add_to_form
from .models import AuditEvent, LegalParameter, WorkerHeartbeat
from .money import format_euros


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["at", "worker_pid", "token"]
    readonly_fields = ["at", "worker_pid", "token"]

    def has_add_permission(self, request):
        return False


# The support reads what happened to holders' accounts, not the rest of the log.
HOLDER_EVENTS_PERMISSION = "core.view_holder_events"
HOLDER_TARGETS = ("holders.holder",)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log, read-only: nobody changes it, not even here (the database refuses it)."""

    list_display = ["at", "event", "actor", "actor_role", "system_job", "target", "organisation"]
    # By object, actor, event, role and dates, on indexed columns (cpf/core/audit_filters.py).
    list_filter = [
        audit_filters.TargetTypeFilter,
        audit_filters.TargetIdFilter,
        audit_filters.ActorFilter,
        audit_filters.EventFilter,
        audit_filters.ActorRoleFilter,
        audit_filters.FromDateFilter,
        audit_filters.UntilDateFilter,
    ]
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

    def has_view_permission(self, request, obj=None):
        """The whole log for the roles that read it (fraud, administrator); the support reads
        the events of holders' accounts only."""
        if super().has_view_permission(request, obj):
            return True
        allowed = request.user.has_perm(HOLDER_EVENTS_PERMISSION)
        return allowed and (obj is None or obj.target_type in HOLDER_TARGETS)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if super().has_view_permission(request):
            return queryset
        return queryset.filter(target_type__in=HOLDER_TARGETS)

    @admin.display(description="objet")
    def target(self, event):
        return f"{event.target_type} n° {event.target_id}" if event.target_id else "—"

    @admin.display(description="pour le compte de")
    def organisation(self, event):
        return f"{event.organisation_type} n° {event.organisation_id}" if event.organisation_id else "—"

    @admin.display(description="modifications")
    def changes_shown(self, event):
        return format_html("<pre>{}</pre>", json.dumps(event.changes, ensure_ascii=False, indent=2))


class ScheduleParameterForm(forms.Form):
    code = forms.ChoiceField(
        label="Paramètre",
        choices=sorted(((code, f"{spec.label} ({code})") for code, spec in parameters.REGISTRY.items())),
    )
    value = forms.CharField(
        label="Nouvelle valeur",
        help_text="Un montant en euros (103,20) ; un nombre entier de jours, de mois ou de pour cent ; "
        "des paliers en pour cent séparés par des virgules (25, 80).",
    )
    applies_from = forms.DateField(label="Applicable à partir du", widget=AdminDateWidget)
    reason = forms.CharField(label="Motif", widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self):
        data = super().clean()
        if "code" in data and "value" in data:
            try:
                data["parsed_value"] = parameters.parse_value(data["code"], data["value"])
            except parameters.ParameterRefused as refused:
                add_to_form(self, refused)
        return data


@admin.register(LegalParameter)
class LegalParameterAdmin(ReadOnlyAdmin):
    """Dated legal parameters: read-only rows. "Ajouter" schedules a new value through
    ``parameters.set_value`` (a later date, a reason, an audit event), the only way to change one."""

    list_display = ["code", "label", "shown_value", "unit", "applies_from", "created_by", "created_at"]
    list_filter = ["code"]
    search_fields = ["code"]
    list_select_related = ["created_by"]

    @admin.display(description="libellé")
    def label(self, row):
        spec = parameters.REGISTRY.get(row.code)
        return spec.label if spec else "—"

    @admin.display(description="valeur")
    def shown_value(self, row):
        if row.unit == ParameterUnit.CENTS:
            return format_euros(row.value)
        if row.unit in (ParameterUnit.PERCENT, ParameterUnit.PERCENT_TIERS):
            tiers = row.value if isinstance(row.value, list) else [row.value]
            return " ; ".join(f"{tier} %" for tier in tiers)
        return f"{row.value} {row.get_unit_display()}"

    def has_add_permission(self, request):
        return admin.ModelAdmin.has_add_permission(self, request)

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ScheduleParameterForm(
            request.POST if request.method == "POST" else None, initial={"code": request.GET.get("code")}
        )
        if form.is_valid():
            try:
                row = parameters.set_value(
                    code=form.cleaned_data["code"],
                    value=form.cleaned_data["parsed_value"],
                    applies_from=form.cleaned_data["applies_from"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    now=clock.now(),
                )
            except parameters.ParameterRefused as refused:
                add_to_form(form, refused)
            else:
                self.message_user(request, f"Nouvelle valeur programmée : {row}.", messages.SUCCESS)
                return redirect(reverse("admin:core_legalparameter_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Programmer une nouvelle valeur d'un paramètre réglementaire",
            "form": form,
            "media": self.media + form.media,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/core/legalparameter/schedule.html", context)
