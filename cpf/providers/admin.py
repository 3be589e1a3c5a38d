from django import forms
from django.contrib import admin
from django.db import models

from cpf.core.admin_actions import (
    AuditTrailMixin,
    ReadOnlyAdmin,
    ReasonForm,
    ServiceActionsAdmin,
    service_action,
)

from . import bank_details, services
from .models import BankDetails, Provider, ProviderApiKey, ProviderTransition


class DelistForm(ReasonForm):
    until = forms.DateField(
        label="Jusqu'au (vide : définitif)",
        required=False,
        help_text="Un déréférencement temporaire dure au plus 6 mois.",
    )


class BankDetailsForm(forms.Form):
    iban = forms.CharField(label="IBAN", max_length=42)
    bic = forms.CharField(
        label="BIC", max_length=11, required=False, help_text="Vide : celui de la banque de l'IBAN."
    )
    account_holder_name = forms.CharField(label="Titulaire du compte", max_length=200)


class BankDetailsInline(admin.TabularInline):
    """The provider's bank details, newest first: entered, verified or rejected, never edited."""

    model = BankDetails
    extra = 0
    can_delete = False
    fields = [
        "iban",
        "bic",
        "account_holder_name",
        "status",
        "submitted_at",
        "submitted_by",
        "verified_by",
        "effective_from",
        "rejection_reason",
    ]
    readonly_fields = fields
    ordering = ["-submitted_at", "-id"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ProviderTransitionInline(admin.TabularInline):
    model = ProviderTransition
    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "actor", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Provider)
class ProviderAdmin(AuditTrailMixin, ServiceActionsAdmin):
    list_display = ["legal_name", "siret", "status", "commune", "qualiopi_valid_until"]
    list_filter = ["status"]
    search_fields = ["legal_name", "siret", "nda"]
    raw_id_fields = ["commune"]
    readonly_fields = ["status", "delisted_until", "created_at", "updated_at", "audit_trail"]
    show_full_result_count = False
    inlines = [BankDetailsInline, ProviderTransitionInline]
    # A website typed without a scheme is taken as https (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    actions = [
        service_action(
            description="Référencer les organismes sélectionnés",
            service=services.reference_provider,
            object_arg="provider",
            form_class=None,
            success="organisme(s) référencé(s).",
            permission="providers.reference_provider",
        ),
        service_action(
            description="Refuser la candidature",
            service=services.refuse_provider,
            object_arg="provider",
            success="candidature(s) refusée(s).",
            permission="providers.reference_provider",
        ),
        service_action(
            description="Suspendre les paiements",
            service=services.suspend_provider,
            object_arg="provider",
            success="organisme(s) suspendu(s).",
            permission="providers.suspend_provider",
        ),
        service_action(
            description="Déréférencer",
            service=services.delist_provider,
            object_arg="provider",
            form_class=DelistForm,
            success="organisme(s) déréférencé(s).",
            permission="providers.delist_provider",
        ),
        service_action(
            description="Saisir de nouvelles coordonnées bancaires (reçues sur papier)",
            service=bank_details.submit_bank_details,
            object_arg="provider",
            form_class=BankDetailsForm,
            success="saisie(s) enregistrée(s), en attente de vérification.",
            permission="providers.add_bankdetails",
        ),
    ]


@admin.register(ProviderTransition)
class ProviderTransitionAdmin(ReadOnlyAdmin):
    """The log of status changes: browsable, never editable."""

    list_display = ["at", "provider", "from_status", "to_status", "actor", "reason"]
    list_filter = ["to_status"]
    search_fields = ["provider__legal_name", "provider__siret"]
    list_select_related = ["provider", "actor"]


@admin.register(BankDetails)
class BankDetailsAdmin(AuditTrailMixin, ServiceActionsAdmin, ReadOnlyAdmin):
    """Providers' bank details: never edited here. A payments agent verifies or rejects those
    awaiting verification; verified ones are used for payouts after the waiting period."""

    list_display = [
        "provider",
        "masked_iban",
        "account_holder_name",
        "status",
        "submitted_at",
        "submitted_by",
        "verified_by",
        "effective_from",
    ]
    list_filter = ["status"]
    search_fields = ["provider__legal_name", "=provider__siret", "=iban"]
    list_select_related = ["provider", "submitted_by", "verified_by"]
    raw_id_fields = ["provider"]
    readonly_fields = ["audit_trail"]
    show_full_result_count = False
    actions = [
        service_action(
            description="Vérifier les coordonnées bancaires sélectionnées",
            service=bank_details.verify_bank_details,
            object_arg="bank_details",
            form_class=None,
            success="coordonnées bancaires vérifiées.",
            permission="providers.verify_bankdetails",
        ),
        service_action(
            description="Rejeter les coordonnées bancaires sélectionnées",
            service=bank_details.reject_bank_details,
            object_arg="bank_details",
            success="coordonnées bancaires rejetées.",
            permission="providers.verify_bankdetails",
        ),
    ]

    @admin.display(description="IBAN")
    def masked_iban(self, details: BankDetails) -> str:
        return details.masked_iban


@admin.register(ProviderApiKey)
class ProviderApiKeyAdmin(AuditTrailMixin, ReadOnlyAdmin):
    """Providers' API keys, as their administrators manage them in the providers' space: the
    beginning of each key, never the key nor its hash."""

    list_display = ["provider", "name", "prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["provider__legal_name", "=provider__siret", "=prefix"]
    list_select_related = ["provider", "created_by"]
    exclude = ["key_hash"]
    readonly_fields = ["audit_trail"]
    show_full_result_count = False
