"""Declarations, crediting runs, funders and grants in the back-office. Declarations, runs and
grants are read-only (they are loaded, computed or recorded by the services); funders are
registered here, their ledger account opened by ``create_funder``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from stdnum.fr import siret as stdnum_siret

from cpf.ledger.admin import ReadOnlyAdmin

from . import services
from .enums import FunderKind
from .models import CreditingRun, Declaration, DeclarationImport, Funder, Grant


class FunderForm(forms.ModelForm):
    class Meta:
        model = Funder
        fields = ["kind", "name", "siret"]

    def clean_siret(self) -> str:
        siret = "".join(self.cleaned_data.get("siret", "").split())
        if siret and not stdnum_siret.is_valid(siret):
            raise forms.ValidationError("Ce SIRET n'est pas valide (clé de contrôle incorrecte).")
        return siret

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("kind") == FunderKind.EMPLOYER and not cleaned.get("siret"):
            self.add_error("siret", "Un employeur est identifié par son SIRET.")
        elif self.instance.pk is None and cleaned.get("kind") and cleaned.get("name"):
            key = services.funder_account_key(
                kind=cleaned["kind"], name=cleaned["name"], siret=cleaned["siret"]
            )
            if Funder.objects.filter(account__key=key).exists():
                self.add_error("name", "Ce financeur est déjà enregistré.")
        return cleaned


@admin.register(DeclarationImport)
class DeclarationImportAdmin(ReadOnlyAdmin):
    list_display = [
        "imported_at",
        "file_name",
        "lines_read",
        "lines_loaded",
        "lines_rejected",
        "holders_created",
    ]
    readonly_fields = [*list_display, "actor", "rejections"]


@admin.register(Declaration)
class DeclarationAdmin(ReadOnlyAdmin):
    list_display = ["id", "year", "employer_siret", "holder", "hours_worked", "reference_hours", "supersedes"]
    list_filter = ["year", "below_level_3", "boeth", "esat"]
    search_fields = ["=employer_siret", "=holder__id"]
    list_select_related = ["holder"]
    raw_id_fields = ["holder", "source", "supersedes"]
    show_full_result_count = False


@admin.register(CreditingRun)
class CreditingRunAdmin(ReadOnlyAdmin):
    list_display = [
        "year",
        "started_at",
        "finished_at",
        "accounts_credited",
        "credited_cents",
        "accounts_capped",
        "accounts_debited",
    ]


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = ["id", "funder", "kind", "amount_cents", "holder", "funder_reference", "granted_at"]
    list_filter = ["kind", "funder"]
    search_fields = ["=funder_reference", "=holder__id"]
    list_select_related = ["funder", "holder"]
    show_full_result_count = False


@admin.register(Funder)
class FunderAdmin(admin.ModelAdmin):
    form = FunderForm
    list_display = ["name", "kind", "siret"]
    list_filter = ["kind"]
    search_fields = ["name", "=siret"]
    fields = ["kind", "name", "siret"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["kind", "siret"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Funder, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = services.create_funder(kind=obj.kind, name=obj.name, siret=obj.siret)
        obj.pk, obj.account = created.pk, created.account
        obj._state.adding = False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
