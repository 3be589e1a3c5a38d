from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from cpf.core import clock
from cpf.core.admin_actions import (
    AuditTrailMixin,
    ReadOnlyAdmin,
    ReasonForm,
    ServiceActionsAdmin,
    service_action,
)
from cpf.core.calendar import paris_day
from cpf.core.errors import BusinessError

from . import bank_details, onboarding, renewals, services
from .enums import DocumentCheckStatus, RenewableKind
from .models import (
    BankDetails,
    CertificationAuthorisation,
    DocumentRenewal,
    Provider,
    ProviderApiKey,
    ProviderDocument,
    ProviderSanction,
    ProviderTransition,
    QualiopiWarning,
)


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

    def get_urls(self):
        review = [
            path(
                "candidatures/",
                self.admin_site.admin_view(self.review_queue),
                name="providers_provider_review_queue",
            ),
            path(
                "<int:provider_id>/candidature/",
                self.admin_site.admin_view(self.review),
                name="providers_provider_review",
            ),
        ]
        return review + super().get_urls()

    def review_queue(self, request):
        """The applications awaiting an agent (rule 24): the overdue first, then by deadline."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        today = paris_day(clock.now())
        context = {
            **self.admin_site.each_context(request),
            "title": "Candidatures à examiner",
            "entries": onboarding.review_queue(today=today),
            "today": today,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/providers/review_queue.html", context)

    def review(self, request, provider_id: int):
        """One application: its identity, documents, bank details, sanctions and deadlines; the
        agent declares it admissible, accepts it or refuses it with a reason."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        provider = get_object_or_404(Provider, pk=provider_id, applied_at__isnull=False)
        if request.method == "POST":
            return self._decide(request, provider)
        today = paris_day(clock.now())
        context = {
            **self.admin_site.each_context(request),
            "title": f"Candidature de {provider.legal_name}",
            "provider": provider,
            "deadlines": onboarding.deadlines(provider),
            "today": today,
            "documents": provider.documents.select_related("certification").order_by("kind", "-uploaded_at"),
            "bank_details": provider.bank_details.order_by("-submitted_at", "-id"),
            "sanctions": provider.sanctions.order_by("-decided_on"),
            "recently_sanctioned": onboarding.recently_sanctioned(provider, today=today),
            "problems": services.referencing_problems(provider, today=today),
            "can_decide": request.user.has_perm("providers.reference_provider"),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/providers/review.html", context)

    def _decide(self, request, provider: Provider):
        decision, now = request.POST.get("decision"), clock.now()
        try:
            if decision == "admissible":
                onboarding.declare_admissible(provider=provider, actor=request.user, now=now)
                self.message_user(request, "Candidature déclarée recevable.", messages.SUCCESS)
            elif decision == "accept":
                onboarding.accept_application(provider=provider, actor=request.user, now=now)
                self.message_user(
                    request, "Organisme référencé ; il en est averti par e-mail.", messages.SUCCESS
                )
            elif decision == "refuse":
                onboarding.refuse_application(
                    provider=provider, actor=request.user, reason=request.POST.get("reason", ""), now=now
                )
                self.message_user(
                    request, "Candidature refusée ; l'organisme en est averti par e-mail.", messages.SUCCESS
                )
            else:
                self.message_user(request, "Choisissez une décision.", messages.ERROR)
        except BusinessError as refused:
            for message in refused.messages:
                self.message_user(request, message, messages.ERROR)
        return HttpResponseRedirect(reverse("admin:providers_provider_review", args=[provider.pk]))

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


@admin.register(ProviderDocument)
class ProviderDocumentAdmin(ReadOnlyAdmin):
    """Providers' documents: browsed and read here by agents, never edited; the file is sent by
    ``file`` after the permission check (the storage has no public address)."""

    list_display = ["provider", "kind", "detail", "uploaded_at", "download"]
    list_filter = ["kind"]
    search_fields = ["provider__legal_name", "=provider__siret"]
    list_select_related = ["provider", "certification"]
    exclude = ["file", "sha256"]
    show_full_result_count = False

    def get_urls(self):
        file = path(
            "<int:document_id>/fichier/",
            self.admin_site.admin_view(self.file),
            name="providers_providerdocument_file",
        )
        return [file, *super().get_urls()]

    def file(self, request, document_id: int) -> FileResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        document = get_object_or_404(ProviderDocument, pk=document_id)
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.original_name,
            content_type=document.content_type,
        )
        response["Cache-Control"] = "private, no-store"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    @admin.display(description="détail")
    def detail(self, document: ProviderDocument) -> str:
        if document.certification_id:
            return document.certification_id
        if document.valid_until:
            return f"valable jusqu'au {document.valid_until:%d/%m/%Y}"
        if document.issued_on:
            return f"du {document.issued_on:%d/%m/%Y}"
        return "—"

    @admin.display(description="fichier")
    def download(self, document: ProviderDocument) -> str:
        url = reverse("admin:providers_providerdocument_file", args=[document.pk])
        return format_html('<a href="{}">{}</a>', url, document.original_name)


@admin.register(DocumentRenewal)
class DocumentRenewalAdmin(AuditTrailMixin, ServiceActionsAdmin, ReadOnlyAdmin):
    """The documents to check: renewed Qualiopi certificates and Kbis that providers'
    administrators sent in their space (rule 24), the oldest awaiting first. A quality agent
    opens the file, compares it with what the provider typed, and accepts it (a certificate
    then becomes the provider's) or refuses it with the reason the provider reads by e-mail."""

    list_display = [
        "provider",
        "kind",
        "detail",
        "in_force",
        "download",
        "status",
        "submitted_at",
        "submitted_by",
        "decided_by",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["provider__legal_name", "=provider__siret", "=qualiopi_number"]
    list_select_related = ["provider", "document", "submitted_by", "decided_by"]
    raw_id_fields = ["provider", "document"]
    readonly_fields = ["download", "audit_trail"]
    show_full_result_count = False
    actions = [
        service_action(
            description="Accepter les documents sélectionnés",
            service=renewals.accept_document_renewal,
            object_arg="renewal",
            form_class=None,
            success="document(s) accepté(s) ; l'organisme en est averti par e-mail.",
            permission="providers.check_documentrenewal",
        ),
        service_action(
            description="Refuser les documents sélectionnés",
            service=renewals.refuse_document_renewal,
            object_arg="renewal",
            success="document(s) refusé(s) ; l'organisme en est averti par e-mail.",
            permission="providers.check_documentrenewal",
        ),
    ]

    def get_ordering(self, request):
        """Those awaiting their check first, the oldest first; then the others."""
        awaiting = models.Case(
            models.When(status=DocumentCheckStatus.SUBMITTED, then=models.Value(0)),
            default=models.Value(1),
        )
        return [awaiting.asc(), "submitted_at", "id"]

    @admin.display(description="détail")
    def detail(self, renewal: DocumentRenewal) -> str:
        if renewal.qualiopi_number:
            return f"n° {renewal.qualiopi_number}, valable jusqu'au {renewal.document.valid_until:%d/%m/%Y}"
        return f"du {renewal.document.issued_on:%d/%m/%Y}"

    @admin.display(description="certificat en vigueur")
    def in_force(self, renewal: DocumentRenewal) -> str:
        provider = renewal.provider
        if renewal.kind != RenewableKind.QUALIOPI:
            return "—"
        if provider.qualiopi_valid_until is None:
            return "aucun"
        return f"n° {provider.qualiopi_number}, jusqu'au {provider.qualiopi_valid_until:%d/%m/%Y}"

    @admin.display(description="fichier")
    def download(self, renewal: DocumentRenewal) -> str:
        url = reverse("admin:providers_providerdocument_file", args=[renewal.document_id])
        return format_html('<a href="{}">{}</a>', url, renewal.document.original_name)


class SanctionForm(forms.ModelForm):
    class Meta:
        model = ProviderSanction
        fields = ["provider", "kind", "decided_on", "ends_on", "reason"]


@admin.register(ProviderSanction)
class ProviderSanctionAdmin(AuditTrailMixin, admin.ModelAdmin):
    """Sanctions decided against providers (rule 26): recorded by an agent, never edited or
    deleted; a provider sanctioned in the last 2 years is flagged in the review queue."""

    form = SanctionForm
    list_display = ["provider", "kind", "decided_on", "ends_on", "created_by"]
    list_filter = ["kind"]
    search_fields = ["provider__legal_name", "=provider__siret"]
    list_select_related = ["provider", "created_by"]
    raw_id_fields = ["provider"]
    readonly_fields = ["audit_trail"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        recorded = onboarding.record_sanction(
            provider=obj.provider,
            kind=obj.kind,
            decided_on=obj.decided_on,
            ends_on=obj.ends_on,
            reason=obj.reason,
            actor=request.user,
            now=clock.now(),
        )
        obj.pk = recorded.pk


@admin.register(QualiopiWarning)
class QualiopiWarningAdmin(ReadOnlyAdmin):
    list_display = ["provider", "valid_until", "days_before", "sent_at"]
    list_select_related = ["provider"]
    search_fields = ["provider__legal_name", "=provider__siret"]


@admin.register(CertificationAuthorisation)
class CertificationAuthorisationAdmin(ReadOnlyAdmin):
    """The certifications each provider may offer (rules 24 and 25): recorded from the
    certifiers' authorisations of its application when an agent accepts it."""

    list_display = ["provider", "certification", "granted_on", "valid_until"]
    search_fields = ["provider__legal_name", "=provider__siret", "=certification__code"]
    list_select_related = ["provider", "certification"]
