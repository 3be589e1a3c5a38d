"""Files whose money is in a provider's payable, through the bookings' own services: accepted
(rights and card), entered, exited, service done declared and validated; or entered in a session
over three months (an advance owed). Moments: entry on Tuesday 19 January 2027, the service
done validated on Wednesday 31 March 2027, runs from Friday 2 April 2027."""

from __future__ import annotations

import datetime

from cpf.bookings import services
from cpf.bookings.models import Registration
from cpf.invoicing.enums import VatRate
from cpf.invoicing.models import Invoice
from cpf.invoicing.services import issue_invoice
from cpf.ledger.enums import AccountKind
from cpf.ledger.models import Account, Entry
from cpf.payouts.enums import RunTrigger
from cpf.payouts.models import PayoutRun
from cpf.payouts.services import run_payouts
from cpf.providers.models import Provider
from tests.bookings.money_support import (
    PRICE,
    RegistrationFactory,
    accepted,
    entered,
    funded_holder,
    paris,
)

VALIDATED_AT = paris(2027, 3, 31)
RUN_AT = paris(2027, 4, 2, 7)
LONG_END = datetime.date(2027, 6, 30)  # more than three months after 18 January: an advance
ADVANCE = PRICE * 30 // 100


def validated_file(
    provider: Provider | None = None, *, hours: int = 100, invoiced: bool = True
) -> Registration:
    """A €1,000 file whose service done (``hours`` of 100) is validated: the provider's payable
    holds what the completion tiers give it; invoiced for all of it unless not ``invoiced``."""
    extra = {"session__action__training__provider": provider} if provider else {}
    registration = entered(accepted(RegistrationFactory(holder=funded_holder(), **extra)))
    registration = services.declare_exit(
        registration=registration,
        actor=None,
        exit_date=datetime.date(2027, 3, 26),
        reason_code="completed",
        now=paris(2027, 3, 29),
    )
    registration = services.declare_service_done(
        registration=registration,
        actor=None,
        hours_done=hours,
        exit_reason="completed" if hours == 100 else "holder_fault",
        force_majeure=False,
        now=paris(2027, 3, 30),
    )
    registration = services.validate_service_done(registration=registration, actor=None, now=VALIDATED_AT)
    if invoiced:
        invoice(registration)
    return registration


def invoice(registration: Registration, *, amount_cents: int | None = None) -> Invoice:
    """The provider's invoice for all it is owed (or ``amount_cents``), validated at once by the
    operator's automatic checks."""
    return issue_invoice(
        provider=provider_of(registration),
        registration=registration,
        number=f"F-{registration.pk}",
        amount_cents=amount_cents or registration.provider_due_cents,
        vat_rate=VatRate.EXEMPT,
        issued_on=VALIDATED_AT.date(),
        actor=None,
        now=VALIDATED_AT,
    )


def long_file(provider: Provider | None = None) -> Registration:
    """A €1,000 file entered in a session over three months: an advance of €300 owed."""
    extra = {"session__action__training__provider": provider} if provider else {}
    registration = RegistrationFactory(holder=funded_holder(), session__end_date=LONG_END, **extra)
    return entered(accepted(registration))


def provider_of(registration: Registration) -> Provider:
    return registration.action.training.provider


def payable_of(provider: Provider) -> int:
    return Account.objects.get(kind=AccountKind.PROVIDER_PAYABLE, provider=provider).balance_cents or 0


def paid_out() -> int:
    """What the ledger says was paid out and not returned: payout clearing's balance."""
    return sum(
        Entry.objects.filter(account__kind=AccountKind.PAYOUT_CLEARING).values_list("amount_cents", flat=True)
    )


def run(key: str = "daily:2027-04-02", *, at: datetime.datetime = RUN_AT, actor=None) -> PayoutRun:
    trigger = RunTrigger.AGENT if actor else RunTrigger.DAILY
    return run_payouts(key=key, trigger=trigger, now=at, actor=actor)
