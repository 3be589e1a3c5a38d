"""The providers' invoices in the back-office: read by the payments team, validated or rejected
with a reason through the services (never edited by hand)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest

from cpf.core.admin_actions import AuditTrailMixin, ReadOnlyAdmin, ServiceActionsAdmin, service_action
from cpf.core.money import format_euros

from . import services
from .models import Invoice, InvoiceTransition

if TYPE_CHECKING:
    TransitionInline = admin.TabularInline[InvoiceTransition, Invoice]
else:
    TransitionInline = admin.TabularInline

CHECK_PERMISSION = "invoicing.check_invoice"


class InvoiceTransitionInline(TransitionInline):
    model = InvoiceTransition
    extra = 0
    can_delete = False
    fields = ("at", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _validate(*, invoice: Invoice, actor: Any, now: Any) -> Invoice:
    return services.validate_invoice(invoice=invoice, actor=actor, now=now)


@admin.register(Invoice)
class InvoiceAdmin(AuditTrailMixin, ServiceActionsAdmin, ReadOnlyAdmin):
    list_display = ["number", "provider", "registration", "amount", "vat_rate", "status", "issued_on"]
    list_filter = ["status", "vat_rate"]
    list_select_related = ["provider"]
    search_fields = ["number", "provider__legal_name", "provider__siret"]
    inlines = [InvoiceTransitionInline]
    actions = [
        service_action(
            description="Valider la facture",
            service=_validate,
            object_arg="invoice",
            form_class=None,
            success="facture(s) validée(s).",
            permission=CHECK_PERMISSION,
        ),
        service_action(
            description="Rejeter la facture",
            service=services.reject_invoice,
            object_arg="invoice",
            success="facture(s) rejetée(s).",
            permission=CHECK_PERMISSION,
        ),
    ]

    @admin.display(description="montant TTC")
    def amount(self, invoice: Invoice) -> str:
        return format_euros(invoice.amount_cents)
