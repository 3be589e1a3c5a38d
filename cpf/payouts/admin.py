"""Payment runs in the back-office (rules 20, 23): the runs and their files, the transfers, the
agents' dashboard of what is due, overdue and paid, a button to start a run, and the action that
records a transfer the bank returned. Nothing is edited by hand: money moves through
``cpf.payouts.services`` only. The payments role and administrators see it (``cpf/accounts/roles.py``)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from cpf.core import clock
from cpf.core.admin_actions import ReadOnlyAdmin, ServiceActionsAdmin, service_action
from cpf.core.audit import mask_iban
from cpf.core.calendar import paris_day
from cpf.core.money import format_euros

from . import queries, services
from .models import PayoutItem, PayoutRun, Transfer
from .tasks import run_task


class PayoutItemInline(admin.TabularInline):
    model = PayoutItem
    extra = 0
    can_delete = False
    fields = ("registration", "kind", "amount", "due_on", "returned")
    readonly_fields = fields

    @admin.display(description="montant")
    def amount(self, item):
        return format_euros(item.amount_cents)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PayoutRun)
class PayoutRunAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "started_at",
        "trigger",
        "started_by",
        "execution_date",
        "transfer_count",
        "total",
        "file",
    ]
    list_filter = ["trigger"]
    list_select_related = ["started_by"]
    exclude = ["xml"]
    readonly_fields = ["file"]

    class Media:
        # the list scrolls sideways in its named region on a phone (change_list_results.html)
        css = {"all": ["core/admin/tables.css"]}

    @admin.display(description="montant total")
    def total(self, run):
        return format_euros(run.total_cents)

    @admin.display(description="fichier pain.001")
    def file(self, run):
        if not run.xml:
            return "—"
        return format_html(
            '<a href="{}">{}.xml</a>', reverse("admin:payouts_payoutrun_file", args=[run.pk]), run.message_id
        )

    def get_urls(self):
        own = [
            path(
                "tableau-de-bord/", self.admin_site.admin_view(self.dashboard_view), name="payouts_dashboard"
            ),
            path("lancer/", self.admin_site.admin_view(require_POST(self.start_view)), name="payouts_start"),
            path(
                "<int:run_id>/fichier/",
                self.admin_site.admin_view(self.file_view),
                name="payouts_payoutrun_file",
            ),
        ]
        return own + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra = {**(extra_context or {}), "dashboard_url": reverse("admin:payouts_dashboard")}
        return super().changelist_view(request, extra_context=extra)

    def dashboard_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = paris_day(clock.now())
        context = {
            **self.admin_site.each_context(request),
            "title": "Paiements aux organismes : dû, en retard, payé",
            "opts": self.model._meta,
            "board": queries.dashboard(today=today),
            "deadline_days": queries.PAYMENT_DEADLINE_DAYS,
            "can_start": request.user.has_perm("payouts.start_payoutrun"),
            "runs": PayoutRun.objects.select_related("started_by")[:10],
        }
        return TemplateResponse(request, "admin/payouts/dashboard.html", context)

    def start_view(self, request):
        """Queue a run for the worker; the key names this request, so a retried job pays once."""
        if not request.user.has_perm("payouts.start_payoutrun"):
            raise PermissionDenied
        now = clock.now()
        key = f"agent:{request.user.pk}:{now.strftime('%Y%m%dT%H%M%S.%f')}"
        run_task.defer(key=key, actor_id=request.user.pk)
        self.message_user(
            request,
            "Campagne de virements lancée : elle apparaîtra ici dès que le traitement l'aura terminée.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:payouts_dashboard"))

    def file_view(self, request, run_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = PayoutRun.objects.filter(pk=run_id).exclude(xml="").first()
        if run is None:
            return HttpResponse(
                "Aucun fichier pour cette campagne.", status=404, content_type="text/plain; charset=utf-8"
            )
        response = HttpResponse(run.xml, content_type="application/xml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{run.message_id}.xml"'
        return response


@admin.register(Transfer)
class TransferAdmin(ServiceActionsAdmin, ReadOnlyAdmin):
    list_display = ["end_to_end_id", "run", "provider", "amount", "status", "rejected_at", "rejection_reason"]
    list_filter = ["status"]
    search_fields = ["=end_to_end_id", "provider__legal_name", "=provider__siret"]
    list_select_related = ["provider", "run"]
    exclude = ["iban"]
    readonly_fields = ["masked_iban"]
    inlines = [PayoutItemInline]

    class Media:
        css = {"all": ["core/admin/tables.css"]}

    actions = [
        service_action(
            description="Déclarer le virement rejeté par la banque (la somme redevient due)",
            service=services.reject_transfer,
            object_arg="transfer",
            success="virement(s) déclaré(s) rejeté(s) ; l'organisme est prévenu.",
            permission="payouts.reject_transfer",
        )
    ]

    @admin.display(description="montant")
    def amount(self, transfer):
        return format_euros(transfer.amount_cents)

    @admin.display(description="IBAN")
    def masked_iban(self, transfer):
        return mask_iban(transfer.iban)
