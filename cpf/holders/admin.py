"""Back-office of holders' accounts: the NIR is only ever shown masked, and an agent finds a
holder by typing the NIR, which is hashed and compared with the look-up column. The identity
and the login's state change only through the audited services (``identity``, ``access``),
as admin actions."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget

from cpf.core.admin_actions import AuditTrailMixin, ReasonForm, ServiceActionsAdmin, service_action

from . import access, corrections
from .models import ApiToken, Holder, TermsAcceptance, TermsVersion
from .nir import InvalidNir, parse_nir


class IdentityForm(ReasonForm):
    birth_name = forms.CharField(label="Nom de naissance", max_length=150)
    first_names = forms.CharField(label="Prénoms", max_length=150, required=False)
    birth_date = forms.DateField(label="Date de naissance", required=False, widget=AdminDateWidget)
    reason = forms.CharField(
        label="Motif",
        help_text="La pièce justificative vue (sans son numéro).",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class TermsAcceptanceInline(admin.TabularInline):
    model = TermsAcceptance
    extra = 0
    can_delete = False
    fields = ["terms", "accepted_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Holder)
class HolderAdmin(AuditTrailMixin, ServiceActionsAdmin):
    list_display = [
        "id",
        "masked_nir",
        "birth_name",
        "first_names",
        "birth_date",
        "login_email",
        "email_confirmed",
        "login_active",
    ]
    list_select_related = ["user"]
    search_fields = ["birth_name", "first_names", "user__email"]
    search_help_text = "Numéro de sécurité sociale complet (15 caractères), nom, prénom ou adresse e-mail."
    fields = [
        "masked_nir",
        "birth_name",
        "first_names",
        "birth_date",
        "user",
        "email_confirmed",
        "created_at",
        "audit_trail",
    ]
    readonly_fields = fields  # identity: through the "corriger l'identité" action only
    inlines = [TermsAcceptanceInline]
    actions = [
        service_action(
            description="Corriger l'identité",
            service=corrections.correct_holder_identity,
            object_arg="holder",
            form_class=IdentityForm,
            one_at_a_time=True,
            initial=lambda holder: {
                "birth_name": holder.birth_name,
                "first_names": holder.first_names,
                "birth_date": holder.birth_date,
            },
            success="identité(s) corrigée(s).",
            permission="holders.correct_holder_identity",
        ),
        service_action(
            description="Désactiver l'accès",
            service=access.deactivate_holder_login,
            object_arg="holder",
            success="accès désactivé(s).",
            permission="holders.deactivate_holder_login",
        ),
        service_action(
            description="Réactiver l'accès",
            service=access.reactivate_holder_login,
            object_arg="holder",
            success="accès réactivé(s).",
            permission="holders.deactivate_holder_login",
        ),
    ]

    @admin.display(description="NIR")
    def masked_nir(self, holder: Holder) -> str:
        return holder.masked_nir

    @admin.display(description="adresse e-mail confirmée le", ordering="user__email_confirmed_at")
    def email_confirmed(self, holder: Holder):
        return holder.email_confirmed_at

    @admin.display(description="accès actif", boolean=True, ordering="user__is_active")
    def login_active(self, holder: Holder) -> bool | None:
        return holder.user.is_active if holder.user else None

    @admin.display(description="adresse e-mail", ordering="user__email")
    def login_email(self, holder: Holder) -> str:
        return holder.user.email if holder.user else ""

    def get_search_results(self, request, queryset, search_term):
        """A full NIR is looked up through its keyed hash (the column holds no clear NIR);
        anything else searches the names and the address."""
        try:
            nir = parse_nir(search_term)
        except InvalidNir:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(nir_hash=nir.lookup_hash), False

    def has_add_permission(self, request):
        # Accounts are opened by employers' declarations and by sign-up, never by hand.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TermsVersion)
class TermsVersionAdmin(admin.ModelAdmin):
    list_display = ["version", "in_force_from", "created_at"]

    def get_readonly_fields(self, request, obj=None):
        # A published version is never edited: a change of the terms is a new version.
        return ["version", "in_force_from", "text", "created_at"] if obj else ["created_at"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["id", "holder", "created_at", "expires_at", "revoked_at"]
    list_select_related = ["holder"]
    fields = ["holder", "created_at", "expires_at", "revoked_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False
