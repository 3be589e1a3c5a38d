"""A provider's documents and bank details in the providers' space (rule 24): its members list
and read its documents (sent by this view after the membership check, never from a public
address); its administrators send its renewed Qualiopi certificate or a new Kbis
(``cpf/providers/renewals.py``) and ask for a change of bank details with the new account's
RIB."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from cpf.accounts.enums import OrganisationType
from cpf.core import clock
from cpf.core.errors import add_to_form
from cpf.providers.bank_details import BankDetailsError, request_bank_details_change
from cpf.providers.enums import DocumentKind, RenewableKind
from cpf.providers.models import ProviderDocument
from cpf.providers.qualiopi import unpublished_at_expiry
from cpf.providers.renewals import RenewalError, submit_document_renewal

from ..organisation import member_required, membership_for
from .onboarding_forms import BankDetailsChangeForm, KbisRenewalForm, QualiopiRenewalForm

provider_member_required = member_required(OrganisationType.PROVIDER)


@provider_member_required
@require_GET
def documents(request: HttpRequest, provider_id: int) -> HttpResponse:
    membership = membership_for(request, OrganisationType.PROVIDER, provider_id)
    provider = membership.provider
    context = {
        "provider": provider,
        "membership": membership,
        "documents": provider.documents.select_related("certification", "uploaded_by", "renewal").order_by(
            "kind", "-uploaded_at", "-id"
        ),
        "title": "Documents",
    }
    return render(request, "www/provider/documents.html", context)


@provider_member_required
@require_GET
def document(request: HttpRequest, provider_id: int, document_id: int) -> HttpResponse:
    """The file, to the provider's members only (another provider's is not found)."""
    membership = membership_for(request, OrganisationType.PROVIDER, provider_id)
    found = get_object_or_404(ProviderDocument, pk=document_id, provider=membership.provider)
    return send_document(found)


def send_document(found: ProviderDocument) -> FileResponse:
    """Stream a stored document, never cached by a shared cache, never run by the browser as a
    page (its checked type, ``nosniff`` by the security middleware)."""
    response = FileResponse(
        found.file.open("rb"),
        as_attachment=True,
        filename=found.original_name,
        content_type=found.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@provider_member_required
@require_http_methods(["GET", "POST"])
def bank_details(request: HttpRequest, provider_id: int) -> HttpResponse:
    membership = membership_for(request, OrganisationType.PROVIDER, provider_id)
    provider = membership.provider
    form = BankDetailsChangeForm()
    if request.method == "POST":
        if not membership.is_admin:
            raise PermissionDenied(
                "Seuls les administrateurs de l'organisme changent ses coordonnées bancaires."
            )
        form = BankDetailsChangeForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                request_bank_details_change(
                    provider=provider,
                    iban=data["iban"],
                    bic=data["bic"],
                    account_holder_name=data["account_holder_name"],
                    statement=data["statement"],
                    actor=request.user,
                    now=clock.now(),
                )
            except BankDetailsError as refused:
                add_to_form(form, refused)
                form.mark_errors()
            else:
                messages.success(
                    request,
                    "Votre demande est enregistrée. Les nouvelles coordonnées seront utilisées après "
                    "leur vérification par nos agents et le délai qui la suit ; les administrateurs "
                    "en sont avertis par e-mail.",
                )
                return redirect("www:provider:bank_details", provider_id=provider.pk)
    context = {
        "provider": provider,
        "membership": membership,
        "history": provider.bank_details.select_related("submitted_by").order_by("-submitted_at", "-id"),
        "form": form,
        "title": "Coordonnées bancaires",
    }
    return render(request, "www/provider/bank_details.html", context)


RENEWAL_FORMS = {RenewableKind.QUALIOPI: QualiopiRenewalForm, RenewableKind.KBIS: KbisRenewalForm}


@provider_member_required
@require_http_methods(["GET", "POST"])
def document_renewal(request: HttpRequest, provider_id: int, kind: str) -> HttpResponse:
    """The provider's Qualiopi certificate or Kbis on record, those sent since and their check;
    its administrators send a new one (rule 24)."""
    membership = membership_for(request, OrganisationType.PROVIDER, provider_id)
    provider = membership.provider
    if kind not in RenewableKind.values:
        raise Http404("Document inconnu.")
    kind = RenewableKind(kind)
    form = RENEWAL_FORMS[kind]()
    if request.method == "POST":
        if not membership.is_admin:
            raise PermissionDenied("Seuls les administrateurs de l'organisme envoient ses documents.")
        form = RENEWAL_FORMS[kind](request.POST, request.FILES)
        if form.is_valid() and _send_renewal(request, form, provider=provider, kind=kind):
            return redirect("www:provider:document_renewal", provider_id=provider.pk, kind=kind.value)
    renewals = provider.document_renewals.filter(kind=kind).select_related("document", "decided_by")
    context = {
        "provider": provider,
        "membership": membership,
        "kind": kind,
        "form": form,
        "renewals": renewals.order_by("-submitted_at", "-id"),
        "latest_kbis": _latest_kbis(provider),
        "unpublished": list(unpublished_at_expiry(provider)) if kind == RenewableKind.QUALIOPI else [],
        "today": clock.today(),
        "title": "Certificat Qualiopi" if kind == RenewableKind.QUALIOPI else "Extrait Kbis",
    }
    return render(request, "www/provider/document_renewal.html", context)


def _send_renewal(request: HttpRequest, form, *, provider, kind: RenewableKind) -> bool:
    data = form.cleaned_data
    try:
        submit_document_renewal(
            provider=provider,
            kind=kind,
            document=data[f"{kind.value}_file"],
            qualiopi_number=data.get("qualiopi_number", ""),
            valid_until=data.get("qualiopi_valid_until"),
            issued_on=data.get("kbis_issued_on"),
            actor=request.user,
            now=clock.now(),
        )
    except RenewalError as refused:
        add_to_form(form, refused)
        form.mark_errors()
        return False
    messages.success(
        request,
        "Votre document est envoyé. Nos agents le vérifient ; vous recevrez leur réponse par e-mail.",
    )
    return True


def _latest_kbis(provider) -> ProviderDocument | None:
    return provider.documents.filter(kind=DocumentKind.KBIS).order_by("-issued_on", "-id").first()
