"""Admin actions that call a domain service and ask the agent for a reason first.

Status fields are read-only in the admin: every status change goes through the service so that
it is checked against the transition table and logged with who, when and why.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone

from cpf.core.errors import BusinessError


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Motif", widget=forms.Textarea(attrs={"rows": 3}))


def service_action(
    *,
    description: str,
    service: Callable,
    object_arg: str,
    form_class: type[forms.Form] | None = ReasonForm,
    success: str,
):
    """Build an admin action running ``service(**{object_arg: obj}, actor, now, **form data)``
    on each selected object, reporting each refusal with its French reason."""

    @admin.action(description=description)
    def action(modeladmin, request, queryset):
        form = None
        if form_class is not None:
            form = form_class(request.POST if "apply" in request.POST else None)
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
                service(**{object_arg: obj}, actor=request.user, now=timezone.now(), **extra)
                done += 1
            except BusinessError as exc:  # report it, go on with the others
                modeladmin.message_user(request, f"{obj} : {' '.join(exc.messages)}", messages.ERROR)
        if done:
            modeladmin.message_user(request, f"{done} {success}", messages.SUCCESS)
        return None

    action.__name__ = f"{getattr(service, '__name__', 'service')}_action"
    return action


class ReadOnlyAdmin(admin.ModelAdmin):
    """Logs and imported records: agents browse them; nobody adds, edits or deletes them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
