"""The provider's invoices in its space (rules 22, 23): an invoice issued for a file whose
service done is validated (``cpf.invoicing.services.issue_invoice``), and the statement of what
each file owes it, what it invoiced, what was paid and the advance (rule 20). Any active member
of the provider; another provider's file is not found (404)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from cpf.accounts.enums import OrganisationType
from cpf.bookings.provider_queries import provider_registrations
from cpf.core import clock
from cpf.core.calendar import paris_day
from cpf.core.errors import add_to_form
from cpf.core.money import InvalidAmount, parse_euros
from cpf.invoicing import queries
from cpf.invoicing.enums import VatRate
from cpf.invoicing.services import InvoiceError, issue_invoice
from cpf.payouts import queries as payout_queries

from ..holder.forms import AccessibleFormMixin
from ..organisation import member_required, membership_for
from .forms import DATE_ERRORS, DateInput

provider_member_required = member_required(OrganisationType.PROVIDER)


class InvoiceForm(AccessibleFormMixin, forms.Form):
    number = forms.CharField(
        label="Numéro de la facture",
        help_text="Un numéro que votre organisme n'a jamais utilisé, par exemple F2027-0042.",
        max_length=40,
        error_messages={
            "required": "Indiquez le numéro de la facture.",
            "max_length": "Le numéro tient en 40 caractères au plus.",
        },
    )
    amount = forms.CharField(
        label="Montant TTC, en euros",
        help_text="Au plus ce qui vous est dû pour ce dossier. Par exemple 1200 ou 1 200,00.",
        max_length=20,
        error_messages={"required": "Indiquez le montant de la facture."},
    )
    vat_rate = forms.TypedChoiceField(
        label="Taux de TVA",
        choices=VatRate.choices,
        coerce=int,
        initial=VatRate.EXEMPT,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez le taux de TVA.",
            "invalid_choice": "Choisissez un des taux de TVA proposés.",
        },
    )
    issued_on = forms.DateField(
        label="Date de la facture",
        widget=DateInput(),
        error_messages={**DATE_ERRORS, "required": "Indiquez la date de la facture."},
    )

    def clean_amount(self) -> int:
        try:
            cents = parse_euros(self.cleaned_data["amount"])
        except InvalidAmount as invalid:
            raise forms.ValidationError(
                "Indiquez le montant en euros, par exemple 1200 ou 1 200,00."
            ) from invalid
        if cents <= 0:
            raise forms.ValidationError("Le montant doit être positif.")
        return cents


# The service's fields, named as the form's.
FIELDS = {"amount_cents": "amount"}


@provider_member_required
@require_http_methods(["GET", "POST"])
def invoice(request: HttpRequest, provider_id: int, registration_id: int) -> HttpResponse:
    provider = membership_for(request, OrganisationType.PROVIDER, provider_id).provider
    registration = (
        provider_registrations(provider)
        .select_related("action__training", "holder")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None:
        raise Http404("Dossier introuvable.")
    now = clock.now()
    form = InvoiceForm(
        initial={"issued_on": paris_day(now), "amount": _euros_input(registration.provider_due_cents)}
    )
    if request.method == "POST":
        form = InvoiceForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                issued = issue_invoice(
                    provider=provider,
                    registration=registration,
                    number=data["number"],
                    amount_cents=data["amount"],
                    vat_rate=data["vat_rate"],
                    issued_on=data["issued_on"],
                    actor=request.user,
                    now=now,
                )
            except InvoiceError as refused:
                add_to_form(form, refused, fields=FIELDS)
            else:
                messages.success(
                    request, f"La facture {issued.number} est émise ({issued.get_status_display().lower()})."
                )
                return redirect("www:provider:statement", provider_id=provider.pk)
    context = {
        "provider": provider,
        "registration": registration,
        "invoices": registration.invoices.order_by("-issued_at"),  # type: ignore[attr-defined]
        "form": form,
        "title": f"Facturer le dossier n° {registration.pk} – {provider.legal_name}",
    }
    return render(request, "www/provider/invoice.html", context)


@provider_member_required
@require_GET
def statement(request: HttpRequest, provider_id: int) -> HttpResponse:
    provider = membership_for(request, OrganisationType.PROVIDER, provider_id).provider
    rows = list(queries.statement(provider))
    context = {
        "provider": provider,
        "rows": [(row, queries.owed_cents(row)) for row in rows],
        "totals": queries.totals(rows),
        "debt": payout_queries.provider_debt(provider.pk),
        "title": f"Relevé – {provider.legal_name}",
    }
    return render(request, "www/provider/statement.html", context)


def _euros_input(cents: int) -> str:
    return f"{cents // 100},{cents % 100:02d}" if cents > 0 else ""
