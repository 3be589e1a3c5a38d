"""Admin actions that call a domain service and ask the agent for a reason first.

Status fields are read-only in the admin: every status change goes through the service so that
it is checked against the transition table and logged with who, when and why. Each action needs
a permission of the agent's role (``cpf/accounts/roles.py``): ``ServiceActionsAdmin`` lists only
the actions the agent may run, and the action checks it again when it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from cpf.core.errors import BusinessError

from . import clock


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Motif", widget=forms.Textarea(attrs={"rows": 3}))


def service_action(
    *,
    description: str,
    service: Callable,
    object_arg: str,
    form_class: type[forms.Form] | None = ReasonForm,
    success: str,
    permission: str | None = None,
    one_at_a_time: bool = False,
    initial: Callable[[Any], dict] | None = None,
):
    """Build an admin action running ``service(**{object_arg: obj}, actor, now, **form data)``
    on each selected object, reporting each refusal with its French reason. ``permission``
    (``"app_label.codename"``) is the one the agent needs; by default the model's change
    permission. ``one_at_a_time``: the form describes one object (an identity), so the action
    refuses a selection of several."""

    @admin.action(description=description)
    def action(modeladmin, request, queryset):
        if not action_allowed(action, modeladmin, request):
            raise PermissionDenied
        if one_at_a_time and queryset.count() != 1:
            modeladmin.message_user(request, "Sélectionnez un seul objet pour cette action.", messages.ERROR)
            return None
        form = None
        if form_class is not None:
            if "apply" in request.POST:
                form = form_class(request.POST)
            else:
                form = form_class(initial=initial(queryset.first()) if initial else None)
            if not form.is_valid():
                return TemplateResponse(
                    request,
                    "admin/cpf_service_action.html",
                    {
                        **modeladmin.admin_site.each_context(request),
                        "title": description,
                        "form": form,
                        "objects": queryset,
                        "action_name": request.POST.get("action"),
                        "opts": modeladmin.model._meta,
                    },
                )
        extra = form.cleaned_data if form is not None else {}
        done = 0
        for obj in queryset:
            try:
                service(**{object_arg: obj}, actor=request.user, now=clock.now(), **extra)
                done += 1
            except BusinessError as exc:  # report it, go on with the others
                modeladmin.message_user(request, f"{obj} : {' '.join(exc.messages)}", messages.ERROR)
        if done:
            modeladmin.message_user(request, f"{done} {success}", messages.SUCCESS)
        return None

    action.__name__ = f"{getattr(service, '__name__', 'service')}_action"
    action.required_permission = permission  # type: ignore[attr-defined]
    return action


def action_allowed(action, modeladmin, request) -> bool:
    """Whether the agent may run a service action: the permission it names, or the model's
    change permission. Actions of Django itself (``delete_selected``) keep their own checks."""
    if not hasattr(action, "required_permission"):
        return True
    opts = modeladmin.model._meta
    permission = action.required_permission or f"{opts.app_label}.change_{opts.model_name}"
    return request.user.has_perm(permission)


class ServiceActionsAdmin(admin.ModelAdmin):
    """Lists only the service actions the agent's role may run."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        return {name: entry for name, entry in actions.items() if action_allowed(entry[0], self, request)}


class ReadOnlyAdmin(admin.ModelAdmin):
    """Logs and imported records: agents browse them; nobody adds, edits or deletes them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditTrailMixin:
    """A read-only field ``audit_trail``: the link to this object's events on the audit log."""

    @admin.display(description="journal d'audit")
    def audit_trail(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "—"
        query = urlencode({"target_type": obj._meta.label_lower, "target_id": obj.pk})
        return format_html(
            '<a href="{}?{}">Les événements de cet objet</a>',
            reverse("admin:core_auditevent_changelist"),
            query,
        )
