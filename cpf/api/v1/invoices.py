"""The providers' invoices through the API (rules 22, 23): a provider invoices a file whose
service done is validated, and lists its invoices. Same key and same errors as the provider's
files (``provider.py``): another provider's file answers 404; a refused invoice 422 with its
stable ``code`` (``amount_above_owed``, ``number_taken``, ``vat_rate_invalid``,
``not_invoiceable``, ``already_invoiced``, ``issued_on_invalid``). Amounts are integer cents, VAT
included; the VAT rate is in basis points (2000 = 20 %)."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from cpf.core import clock
from cpf.invoicing import services
from cpf.invoicing.enums import InvoiceStatus, VatRate
from cpf.invoicing.models import Invoice
from cpf.providers.models import ProviderApiKey

from .errors import Errors
from .provider import BodyIn, documented, own_registration, provider_key

router = Router(tags=["organisme de formation : factures"])


class InvoiceIn(BodyIn):
    number: str = Field(
        min_length=1, max_length=40, examples=["F2027-0042"], description="Numéro unique chez vous."
    )
    amount_cents: int = Field(
        gt=0, le=100_000_000, examples=[120_000], description="Montant TTC, en centimes."
    )
    vat_rate: int = Field(
        examples=[0, 2000], description="Taux de TVA en points de base : 0 (exonéré), 210, 550, 1000 ou 2000."
    )
    issued_on: datetime.date = Field(examples=["2027-10-12"], description="Date de la facture.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"number": "F2027-0042", "amount_cents": 120_000, "vat_rate": 0, "issued_on": "2027-10-12"}
            ]
        }
    }


class InvoiceOut(Schema):
    id: int
    registration_id: int
    number: str = Field(examples=["F2027-0042"])
    issued_on: datetime.date
    amount_cents: int = Field(examples=[120_000])
    vat_rate: VatRate
    vat_cents: int = Field(examples=[0])
    status: InvoiceStatus
    status_label: str = Field(examples=["Validée"])
    rejection_reason: str
    issued_at: datetime.datetime
    validated_at: datetime.datetime | None
    paid_at: datetime.datetime | None


class InvoicePageOut(Schema):
    count: int
    page: int
    page_size: int
    results: list[InvoiceOut]


class InvoicesQuery(Schema):
    status: InvoiceStatus | None = Field(None, description="Seulement les factures de ce statut.")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(20, ge=1, le=100)


def invoice_out(invoice: Invoice) -> dict[str, Any]:
    data = {name: getattr(invoice, name) for name in InvoiceOut.model_fields if name != "status_label"}
    return data | {"status_label": invoice.get_status_display()}


@router.post(
    "/provider/registrations/{registration_id}/invoice",
    url_name="provider_invoice",
    auth=provider_key,
    response={201: InvoiceOut, 401: Errors, 404: Errors, 422: Errors},
    summary="Facturer un dossier dont le service fait est validé",
    description=(
        "Le montant TTC ne dépasse pas ce qui vous est dû pour le dossier (`provider_due_cents`) ; "
        "le numéro n'a jamais servi chez vous ; le taux de TVA est un taux légal français. Dans ce "
        "cas, la facture est validée aussitôt par les contrôles automatiques de l'opérateur (statut "
        "`validated`) et payée par le prochain virement (règle 23)."
    ),
    openapi_extra=documented(
        {
            "errors": [
                {
                    "field": "amount_cents",
                    "code": "amount_above_owed",
                    "message": "Le montant dépasse ce qui vous est dû pour ce dossier : 1 200,00 €.",
                }
            ]
        }
    ),
)
def issue_invoice(request: HttpRequest, registration_id: int, payload: InvoiceIn):
    registration = own_registration(request, registration_id)
    key: ProviderApiKey = request.auth
    invoice = services.issue_invoice(
        provider=key.provider,
        registration=registration,
        number=payload.number,
        amount_cents=payload.amount_cents,
        vat_rate=payload.vat_rate,
        issued_on=payload.issued_on,
        actor=key.created_by,
        now=clock.now(),
    )
    return Status(201, invoice_out(invoice))


@router.get(
    "/provider/invoices",
    url_name="provider_invoices",
    auth=provider_key,
    response={200: InvoicePageOut, 401: Errors, 422: Errors},
    summary="Vos factures",
    description="Les factures de votre organisme, les plus récentes d'abord.",
)
def list_invoices(request: HttpRequest, query: Query[InvoicesQuery]):
    key: ProviderApiKey = request.auth
    found = Invoice.objects.of_provider(key.provider_id)
    if query.status:
        found = found.filter(status=query.status)
    count = found.count()
    start = (query.page - 1) * query.page_size
    page = found.order_by("-issued_at", "-id")[start : start + query.page_size]
    return {
        "count": count,
        "page": query.page,
        "page_size": query.page_size,
        "results": [invoice_out(invoice) for invoice in page],
    }
