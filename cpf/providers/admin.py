from django import forms
from django.contrib import admin
from django.db import models

from cpf.core.admin_actions import ReadOnlyAdmin, ReasonForm, service_action

from . import services
from .models import Provider, ProviderTransition


class DelistForm(ReasonForm):
    until = forms.DateField(
        label="Jusqu'au (vide : définitif)",
        required=False,
        help_text="Un déréférencement temporaire dure au plus 6 mois.",
    )


class ProviderTransitionInline(admin.TabularInline):
    model = ProviderTransition
    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["legal_name", "siret", "status", "commune", "qualiopi_valid_until"]
    list_filter = ["status"]
    search_fields = ["legal_name", "siret", "nda"]
    raw_id_fields = ["commune"]
    readonly_fields = ["status", "delisted_until", "created_at", "updated_at"]
    show_full_result_count = False
    inlines = [ProviderTransitionInline]
    # A website typed without a scheme is taken as https (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    actions = [
        service_action(
            description="Référencer les organismes sélectionnés",
            service=services.reference_provider,
            object_arg="provider",
            form_class=None,
            success="organisme(s) référencé(s).",
        ),
        service_action(
            description="Refuser la candidature",
            service=services.refuse_provider,
            object_arg="provider",
            success="candidature(s) refusée(s).",
        ),
        service_action(
            description="Suspendre les paiements",
            service=services.suspend_provider,
            object_arg="provider",
            success="organisme(s) suspendu(s).",
        ),
        service_action(
            description="Déréférencer",
            service=services.delist_provider,
            object_arg="provider",
            form_class=DelistForm,
            success="organisme(s) déréférencé(s).",
        ),
    ]


@admin.register(ProviderTransition)
class ProviderTransitionAdmin(ReadOnlyAdmin):
    """The log of status changes: browsable, never editable."""

    list_display = ["at", "provider", "from_status", "to_status", "actor", "reason"]
    list_filter = ["to_status"]
    search_fields = ["provider__legal_name", "provider__siret"]
    list_select_related = ["provider", "actor"]
