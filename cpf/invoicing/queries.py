"""What a provider reads of its money, file by file (rules 20, 22, 23): its statement."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import Registration
from cpf.providers.models import Provider

from .enums import InvoiceStatus
from .models import Invoice

S = RegistrationStatus
I = InvoiceStatus  # noqa: E741


@dataclass(frozen=True)
class StatementTotals:
    owed_cents: int
    invoiced_cents: int
    paid_cents: int
    advance_cents: int


def statement(provider: Provider) -> QuerySet[Registration]:
    """The provider's files that carry money for it, newest first, each annotated with
    ``owed_cents`` (what the settlement of its validated service gives it, rule 22; 0 before
    the validation), ``invoiced_cents`` (its invoices not rejected), ``paid_cents`` (its invoices
    paid) and ``advance_cents`` (the advance due at entry, rule 20)."""
    return (
        Registration.objects.filter(action__training__provider=provider)
        .filter(
            Q(status=S.SERVICE_DONE_VALIDATED)
            | Q(advance_due_cents__gt=0)
            | Q(Exists(Invoice.objects.filter(registration=OuterRef("pk"))))
        )
        .select_related("holder", "action__training")
        .annotate(
            invoiced_cents=Coalesce(
                Sum("invoices__amount_cents", filter=~Q(invoices__status=I.REJECTED)), Value(0)
            ),
            paid_cents=Coalesce(Sum("invoices__amount_cents", filter=Q(invoices__status=I.PAID)), Value(0)),
        )
        .order_by("-service_done_validated_at", "-id")
    )


def owed_cents(registration: Registration) -> int:
    """What the file owes its provider once its service done is validated (rule 22)."""
    return registration.provider_due_cents if registration.status == S.SERVICE_DONE_VALIDATED else 0


def totals(rows: list[Registration]) -> StatementTotals:
    return StatementTotals(
        owed_cents=sum(owed_cents(row) for row in rows),
        invoiced_cents=sum(row.invoiced_cents for row in rows),  # type: ignore[attr-defined]
        paid_cents=sum(row.paid_cents for row in rows),  # type: ignore[attr-defined]
        advance_cents=sum(row.advance_due_cents for row in rows),
    )
