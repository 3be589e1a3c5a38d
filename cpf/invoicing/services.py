"""A provider's invoices: issued for a validated service done, checked by the operator, paid by
a payment run (rules 22 and 23).

Lock order: the registration file, then its invoices. An invoice is issued for a file whose
service done is validated, for at most what the file owes its provider
(``Registration.provider_due_cents``), with a number of the provider's own that it never used
before and a VAT rate of French law. The operator's automatic checks validate it at once when
its amount is within what is owed and the provider's payments are not suspended (rule 26);
otherwise it waits for an agent. Payment runs pay ``Invoice.objects.payable()`` and mark each
invoice paid with ``mark_invoice_paid``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import IntegrityError, transaction

from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import Registration
from cpf.core import audit
from cpf.core.calendar import paris_day
from cpf.core.errors import BusinessError, Problem
from cpf.core.money import format_euros, prorata_cents
from cpf.core.state_machine import StateMachine, Transition
from cpf.core.state_machine import TransitionNotAllowed as BaseTransitionNotAllowed
from cpf.providers.enums import ProviderStatus
from cpf.providers.models import Provider

from .enums import InvoiceStatus, VatRate
from .models import Invoice, InvoiceTransition

I = InvoiceStatus  # noqa: E741
# The states of the file in which its service may be invoiced (validated, or already paid).
INVOICEABLE = (RegistrationStatus.SERVICE_DONE_VALIDATED,)
NUMBER_MAX_LENGTH = 40


class InvoiceError(BusinessError):
    """An invoice refused; nothing was changed."""

    code = "invoice_refused"


class InvoiceTransitionNotAllowed(InvoiceError, BaseTransitionNotAllowed):
    code = BaseTransitionNotAllowed.code


class RegistrationNotFound(InvoiceError):
    code = "registration_not_found"
    status = 404


MACHINE = StateMachine(
    model=Invoice,
    statuses=InvoiceStatus,
    log=InvoiceTransition,
    subject="invoice",
    refusal=InvoiceTransitionNotAllowed,
    audit_event="invoice.status_changed",
    stamps={I.VALIDATED: "validated_at", I.PAID: "paid_at", I.REJECTED: "rejected_at"},
    transitions=[
        Transition(I.ISSUED, I.VALIDATED, "Facture validée par les contrôles de l'opérateur"),
        Transition(I.ISSUED, I.REJECTED, "Facture rejetée par l'opérateur"),
        Transition(I.VALIDATED, I.REJECTED, "Facture rejetée par l'opérateur"),
        Transition(I.VALIDATED, I.PAID, "Facture payée"),
        # A transfer returned by the bank (wrong account): the invoice is to be paid again.
        Transition(I.PAID, I.VALIDATED, "Virement rejeté par la banque : facture à payer de nouveau"),
    ],
)


def vat_of(amount_cents: int, vat_rate: int) -> int:
    """The VAT included in ``amount_cents`` at ``vat_rate`` basis points, half up to the cent."""
    return prorata_cents(amount_cents, vat_rate, 10_000 + vat_rate)


def issue_invoice(
    *,
    provider: Provider,
    registration: Registration,
    number: str,
    amount_cents: int,
    vat_rate: int,
    issued_on: datetime.date,
    actor: Any,
    now: datetime.datetime,
) -> Invoice:
    """The provider invoices a file whose service done is validated (rule 23): ``amount_cents``
    VAT included, at most what the file owes it (rule 22, ``provider_due_cents``), ``number``
    never used by this provider, ``vat_rate`` one of French law's (basis points), dated
    ``issued_on`` (from the validation of the service to today). The operator's automatic
    checks then validate it (``_check_automatically``)."""
    number = (number or "").strip()
    _check_input(number=number, amount_cents=amount_cents, vat_rate=vat_rate)
    with transaction.atomic():
        locked = (
            Registration.objects.select_for_update(of=("self",))
            .filter(pk=registration.pk, action__training__provider=provider)
            .first()
        )
        if locked is None:
            raise RegistrationNotFound("Ce dossier est introuvable.")
        _check_invoiceable(locked, amount_cents=amount_cents, issued_on=issued_on, today=paris_day(now))
        if Invoice.objects.filter(provider=provider, number=number).exists():
            raise InvoiceError(
                f"Vous avez déjà émis une facture numéro « {number} ».", field="number", code="number_taken"
            )
        try:
            with transaction.atomic():
                invoice = Invoice.objects.create(
                    provider=provider,
                    registration=locked,
                    number=number,
                    issued_on=issued_on,
                    amount_cents=amount_cents,
                    vat_rate=vat_rate,
                    vat_cents=vat_of(amount_cents, vat_rate),
                    issued_at=now,
                    issued_by=actor,
                )
        except IntegrityError as error:  # the same number issued at the same moment
            raise InvoiceError(
                f"Vous avez déjà émis une facture numéro « {number} ».", field="number", code="number_taken"
            ) from error
        MACHINE.log_creation(invoice, actor=actor, reason="Facture émise par l'organisme", now=now)
        audit.record_event(
            event="invoice.issued",
            target=invoice,
            at=now,
            actor=actor,
            organisation=provider,
            reason=f"Facture {number} de {format_euros(amount_cents)} pour le dossier n° {locked.pk}",
        )
        return _check_automatically(invoice, owed_cents=locked.provider_due_cents, now=now)


def _check_input(*, number: str, amount_cents: int, vat_rate: int) -> None:
    problems = []
    if not number:
        problems.append(Problem("Indiquez le numéro de la facture.", "number", "required"))
    elif len(number) > NUMBER_MAX_LENGTH:
        problems.append(
            Problem(f"Le numéro tient en {NUMBER_MAX_LENGTH} caractères au plus.", "number", "too_long")
        )
    if amount_cents <= 0:
        problems.append(Problem("Le montant doit être positif.", "amount_cents", "amount_not_positive"))
    if vat_rate not in VatRate.values:
        problems.append(
            Problem(
                "Le taux de TVA doit être un taux légal français : 0 (exonéré), 2,1 %, 5,5 %, 10 % ou 20 %.",
                "vat_rate",
                "vat_rate_invalid",
            )
        )
    if problems:
        raise InvoiceError(problems=problems)


def _check_invoiceable(
    registration: Registration, *, amount_cents: int, issued_on: datetime.date, today: datetime.date
) -> None:
    if registration.status not in INVOICEABLE:
        raise InvoiceError(
            "Seul un dossier dont le service fait est validé peut être facturé.", code="not_invoiceable"
        )
    if registration.invoices.live().exists():  # type: ignore[attr-defined]
        raise InvoiceError(
            "Ce dossier a déjà une facture en cours ; elle doit être rejetée avant d'en émettre une autre.",
            code="already_invoiced",
        )
    owed = registration.provider_due_cents
    if amount_cents > owed:
        raise InvoiceError(
            f"Le montant dépasse ce qui vous est dû pour ce dossier : {format_euros(owed)}.",
            field="amount_cents",
            code="amount_above_owed",
        )
    validated_on = paris_day(registration.service_done_validated_at)  # type: ignore[arg-type]
    if not validated_on <= issued_on <= today:
        raise InvoiceError(
            f"La date de la facture va du {validated_on:%d/%m/%Y} (service fait validé) à aujourd'hui.",
            field="issued_on",
            code="issued_on_invalid",
        )


def _check_automatically(invoice: Invoice, *, owed_cents: int, now: datetime.datetime) -> Invoice:
    """The operator's automatic checks: an amount within what is owed, and payments of the
    provider not suspended (rule 26). An invoice that fails them waits for an agent."""
    provider = invoice.provider
    if invoice.amount_cents <= owed_cents and provider.status != ProviderStatus.SUSPENDED:
        return MACHINE.transition(
            invoice,
            to=I.VALIDATED,
            actor=None,
            reason="Contrôles automatiques : montant dans ce qui est dû",
            now=now,
        )
    return invoice


def validate_invoice(*, invoice: Invoice, actor: Any, now: datetime.datetime) -> Invoice:
    """An agent validates an invoice the automatic checks left waiting (rule 23)."""
    with transaction.atomic():
        registration = Registration.objects.select_for_update(of=("self",)).get(pk=invoice.registration_id)
        if invoice.amount_cents > registration.provider_due_cents:
            raise InvoiceError(
                "Le montant de la facture dépasse ce qui est dû à l'organisme.", code="amount_above_owed"
            )
        return MACHINE.transition(invoice, to=I.VALIDATED, actor=actor, reason="", now=now)


def reject_invoice(*, invoice: Invoice, actor: Any, reason: str, now: datetime.datetime) -> Invoice:
    """An agent rejects an invoice not yet paid, with a reason the provider reads; the provider
    may then issue another for the file."""
    reason = (reason or "").strip()
    if not reason:
        raise InvoiceError("Indiquez le motif du rejet.", field="reason", code="reason_required")
    with transaction.atomic():
        return MACHINE.transition(
            invoice, to=I.REJECTED, actor=actor, reason=reason, now=now, fields={"rejection_reason": reason}
        )


def mark_invoice_paid(*, invoice: Invoice, payout_line: Any, now: datetime.datetime) -> Invoice:
    """A payment run paid the invoice (rule 23): ``payout_line`` is the run's line that carries
    it (its ``pk`` is recorded as ``payout_line:<pk>``). Idempotent: an invoice already paid by
    the same line is returned unchanged; paid by another line, refused."""
    reference = f"payout_line:{payout_line.pk}"
    with transaction.atomic():
        locked = Invoice.objects.select_for_update(of=("self",)).get(pk=invoice.pk)
        if locked.status == I.PAID and locked.payout_reference == reference:
            return locked
        return MACHINE.transition(
            locked, to=I.PAID, actor=None, reason="", now=now, fields={"payout_reference": reference}
        )


def return_paid_invoice(*, invoice: Invoice, actor: Any, reason: str, now: datetime.datetime) -> Invoice:
    """The bank returned the transfer that paid the invoice (a wrong account): the invoice is
    validated again, to be paid by a later run."""
    with transaction.atomic():
        return MACHINE.transition(
            invoice,
            to=I.VALIDATED,
            actor=actor,
            reason=reason,
            now=now,
            fields={"paid_at": None, "payout_reference": ""},
        )
