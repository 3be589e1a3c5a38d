"""The ledger in the back-office: read-only. Nothing is added, changed or deleted here: money
moves only through the services, corrections are compensating transactions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Account, Entry, Transaction

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
    EntryTabularInline = admin.TabularInline[Entry, Transaction]
else:
    ModelAdmin = admin.ModelAdmin
    EntryTabularInline = admin.TabularInline


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EntryInline(EntryTabularInline):
    model = Entry
    extra = 0
    fields = ("account", "amount_cents")
    readonly_fields = ("account", "amount_cents")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "name", "holder", "balance_cents", "created_at"]
    list_filter = ["kind"]
    search_fields = ["=id", "key", "name"]
    list_select_related = ["holder"]
    show_full_result_count = False


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "period", "reference", "idempotency_key", "actor", "created_at"]
    list_filter = ["kind", "period"]
    search_fields = ["=id", "=idempotency_key", "reference"]
    list_select_related = ["actor"]
    show_full_result_count = False
    inlines = [EntryInline]
