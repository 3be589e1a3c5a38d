"""Back-office of holders' accounts: the NIR is only ever shown masked, and an agent finds a
holder by typing the NIR, which is hashed and compared with the look-up column."""

from __future__ import annotations

from django.contrib import admin

from .models import ApiToken, Holder, TermsAcceptance, TermsVersion
from .nir import InvalidNir, parse_nir


class TermsAcceptanceInline(admin.TabularInline):
    model = TermsAcceptance
    extra = 0
    can_delete = False
    fields = ["terms", "accepted_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Holder)
class HolderAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "masked_nir",
        "birth_name",
        "first_names",
        "birth_date",
        "login_email",
        "email_confirmed",
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
    ]
    readonly_fields = ["masked_nir", "user", "email_confirmed", "created_at"]
    inlines = [TermsAcceptanceInline]

    @admin.display(description="NIR")
    def masked_nir(self, holder: Holder) -> str:
        return holder.masked_nir

    @admin.display(description="adresse e-mail confirmée le", ordering="user__email_confirmed_at")
    def email_confirmed(self, holder: Holder):
        return holder.email_confirmed_at

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
