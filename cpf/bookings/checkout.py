"""Acceptance paid in part by card, and what follows the card (rules 10, 11 and 13;
booking-reference.md §4).

``start_checkout`` reserves the rights, grants and credit note (``money.reserve_for_acceptance``)
and records the card payment in the same transaction; after the commit it creates the payment at
the provider, idempotently (``registration:<id>:attempt:<n>``), and answers the hosted page's
address. The card's outcome comes back by three ways, each an untrusted trigger that makes the
product re-read the payment from the provider before acting: the provider's webhook, the
holder's return from the hosted page, and the worker's recovery of payments left waiting.
``settle_payment`` then completes the acceptance (``money.complete_acceptance``) or releases
the reservation (``money.fail_acceptance``), once, however many triggers arrive and in
whatever order.

A failed card is cancelled at the provider *before* the reservation is released: the provider
is the one place where "paid" and "cancelled" exclude each other, so a reservation is never
released for a payment that then succeeds. A payment that succeeds for a file that no longer
waits for it (lapsed meanwhile) is recorded and refunded in full (``money.complete_acceptance``
decides the refund, ``send_refunds`` sends it).

Lock order, as everywhere on a file: the file, then its payment (then the holder's accounts,
inside the money services). No lock is held while the provider is called.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from cpf.bookings import emails, money
from cpf.bookings.enums import RegistrationStatus
from cpf.bookings.models import CardRefundDue, Registration
from cpf.bookings.money import PriceSplit
from cpf.core.errors import BusinessError
from cpf.holders.models import Holder
from cpf.ledger import services as ledger
from cpf.ledger.enums import AccountKind, TransactionKind
from cpf.payments import services as payments
from cpf.payments.enums import PaymentStatus, RefundStatus, RemoteStatus
from cpf.payments.models import Payment, Refund
from cpf.payments.providers import PaymentProvider, ProviderError, RemotePayment, get_provider

logger = logging.getLogger(__name__)

RECOVERY_BATCH = 100
REFUND_BATCH = 100
UNEXPECTED_STATE = "payment_intent_unexpected_state"
# Why a payment was refused, in the file's history.
REFUSAL_REASONS = {
    "": "Paiement abandonné ou annulé",
    "card_declined": "Carte refusée par la banque",
    "insufficient_funds": "Solde de la carte insuffisant",
    "expired_card": "Carte expirée",
    "incorrect_cvc": "Cryptogramme visuel incorrect",
    "incorrect_number": "Numéro de carte incorrect",
    "payment_intent_authentication_failure": "Authentification 3-D Secure échouée",
}


class PaymentUnavailable(BusinessError):
    """The provider could not be reached: nothing was charged, the reservation will be released."""

    code = "payment_unavailable"
    status = 503


@dataclass(frozen=True)
class CheckoutResult:
    registration: Registration
    split: PriceSplit
    # The provider's hosted page, None when the card has nothing to pay (the file is accepted).
    payment_url: str | None


def start_checkout(
    *,
    registration: Registration,
    holder: Holder,
    now: datetime.datetime,
    return_url: Callable[[], str],
    provider: PaymentProvider | None = None,
) -> CheckoutResult:
    """The holder accepts the proposal (rule 10: rights, then grants, then the card for the rest
    and the flat participation of rule 11). The one-time code of rule 28 is checked by the
    caller before. ``return_url`` gives the page the card's hosted page sends the holder back
    to, asked for only when the card has something to pay. Raises the money services'
    refusals, or PaymentUnavailable."""
    provider = provider or get_provider()
    with transaction.atomic():
        # This block is the one a refusal rolls back: no savepoint inside it.
        outcome = money.reserve_for_acceptance(
            registration=registration, holder=holder, now=now, savepoint=False
        )
        reserved, split = outcome.registration, outcome.split
        if split.card_total_cents == 0:
            return CheckoutResult(registration=reserved, split=split, payment_url=None)
        payment = payments.open_payment(
            registration_id=reserved.pk,
            attempt=reserved.payment_attempt,
            amount_cents=split.card_total_cents,
            provider=provider,
            now=now,
        )
    try:
        payment = payments.send_payment(payment=payment, provider=provider, return_url=return_url(), now=now)
    except ProviderError as error:
        logger.warning("payment %s not created at the provider: %s", payment.idempotency_key, error)
        abandon_quietly(payment, provider=provider, now=now)
        raise PaymentUnavailable(
            "Le service de paiement ne répond pas. Rien n'a été débité : réessayez dans quelques minutes."
        ) from error
    return CheckoutResult(registration=reserved, split=split, payment_url=payment.hosted_page_url)


def abandon_quietly(payment: Payment, *, provider: PaymentProvider, now: datetime.datetime) -> None:
    """Cancel and release at once when the provider answers again; otherwise the recovery will."""
    with contextlib.suppress(ProviderError):
        settle_payment(payment=payment, provider=provider, now=now, cancel_if_open=True)


def settle_payment(
    *,
    payment: Payment,
    provider: PaymentProvider,
    now: datetime.datetime,
    psp_event_id: str = "",
    cancel_if_open: bool = False,
) -> Payment:
    """Re-read ``payment`` from the provider and settle its file accordingly: paid → accepted;
    failed (a card declined, 3-D Secure refused) or ``cancel_if_open`` → cancelled at the
    provider, then the reservation released ("Paiement refusé"). Still waiting for the card:
    nothing. Idempotent; raises ProviderError when the provider cannot be asked (to try again)."""
    if payment.status in payments.FINAL_STATUSES:
        return payment
    if payment.psp_id is None:
        # Never answered by the provider (a crash, a lost answer): asking again under the same
        # key gives back the payment if it was created, or creates it, to be cancelled at once.
        payment = payments.send_payment(payment=payment, provider=provider, return_url=None, now=now)
        cancel_if_open = cancel_if_open or not payment.hosted_page_url
    assert payment.psp_id is not None
    remote = provider.retrieve(payment.psp_id)
    if remote.status in (RemoteStatus.AWAITING_CARD, RemoteStatus.AWAITING_AUTHENTICATION) and (
        remote.failed or cancel_if_open
    ):
        read = remote
        remote = cancel_at_provider(payment, remote, provider=provider)
        if read.failure_code and not remote.failure_code:
            remote = dataclasses.replace(remote, failure_code=read.failure_code)
    with transaction.atomic():
        file = Registration.objects.select_for_update(of=("self",)).get(pk=payment.registration_id)
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        payments.record_remote_state(locked, remote, now=now, psp_event_id=psp_event_id)
        locked.checked_at = now
        locked.save(update_fields=["checked_at"])
        settle_file(file, locked, now=now)
    return locked


def cancel_at_provider(
    payment: Payment, remote: RemotePayment, *, provider: PaymentProvider
) -> RemotePayment:
    """Cancel; a payment that succeeded meanwhile cannot be, and is read again as paid."""
    assert payment.psp_id is not None
    try:
        return provider.cancel(payment.psp_id, idempotency_key=payments.cancel_key(payment))
    except ProviderError as error:
        if error.code != UNEXPECTED_STATE:
            raise
        return provider.retrieve(payment.psp_id)


def settle_file(file: Registration, payment: Payment, *, now: datetime.datetime) -> None:
    """The file after its payment's outcome (both rows locked by the caller, in the transaction
    that recorded the outcome). A captured payment is always handed to the money services,
    which accept the file waiting for it or, when it no longer does (lapsed meanwhile), record
    the capture and decide its refund. A cancelled payment releases the reservation only when
    it is the file's current attempt: a late word about an older attempt changes nothing."""
    if payment.status == PaymentStatus.SUCCEEDED:
        assert payment.psp_id is not None
        money.complete_acceptance(
            registration=file, captured_cents=payment.captured_cents, psp_reference=payment.psp_id, now=now
        )
    elif payment.status == PaymentStatus.CANCELED and file.payment_attempt == payment.attempt:
        money.fail_acceptance(
            registration=file, now=now, reason=REFUSAL_REASONS.get(payment.failure_code, "Paiement refusé")
        )


def post_card_refund(refund: Refund) -> None:
    """The card money given back: card clearing → the bank, keyed by the provider's refund."""
    ledger.post_transaction(
        kind=TransactionKind.CARD_REFUND,
        idempotency_key=f"psp:{refund.psp_id}",
        entries=[
            ledger.Posting(ledger.system_account(AccountKind.CARD_CLEARING), -refund.amount_cents),
            ledger.Posting(ledger.system_account(AccountKind.OPERATOR_BANK), refund.amount_cents),
        ],
        reference=f"registration:{refund.payment.registration_id}",
        actor=None,
        details={"registration_id": refund.payment.registration_id, "refund": refund.idempotency_key},
    )


# The worker's periodic work ---------------------------------------------------------------


def recover_payments(*, now: datetime.datetime, provider: PaymentProvider | None = None) -> int:
    """Settle the payments still waiting ``PAYMENT_RECOVERY_AFTER_MINUTES`` after they were last
    looked at (a webhook lost, a holder who never came back, a process stopped between the
    reservation and the provider): re-read, then accepted, released, or left waiting; a payment
    whose file can no longer wait (its deadline passed, or it never reached the holder) is
    cancelled and its reservation released. Returns how many were looked at."""
    provider = provider or get_provider()
    cutoff = now - datetime.timedelta(minutes=settings.PAYMENT_RECOVERY_AFTER_MINUTES)
    due = list(
        Payment.objects.open()
        .filter(checked_at__lte=cutoff)
        .select_related("registration")
        .order_by("checked_at", "pk")[:RECOVERY_BATCH]
    )
    for payment in due:
        file = payment.registration
        too_late = (
            file.status != RegistrationStatus.VALIDATED
            or file.deadline_at is None
            or file.deadline_at <= now
            or file.payment_attempt != payment.attempt
        )
        try:
            settle_payment(payment=payment, provider=provider, now=now, cancel_if_open=too_late)
        except ProviderError as error:
            logger.warning("payment %s not recovered this time: %s", payment.pk, error)
            payments.mark_checked(payment, now=now)
    return len(due)


def send_refunds(*, now: datetime.datetime, provider: PaymentProvider | None = None) -> int:
    """Send the provider the card refunds decided by cancellations and settlements (``CardRefundDue``,
    rules 13, 19 and 22, and payments captured for files that no longer waited); each succeeded one posts its
    ``card_refund`` and marks its due row done. Returns how many succeeded."""
    provider = provider or get_provider()
    for due in CardRefundDue.objects.filter(done_at__isnull=True).order_by("pk")[:REFUND_BATCH]:
        open_refund_for_due(due, now=now)
    succeeded = 0
    for refund in (
        Refund.objects.filter(status=RefundStatus.REQUESTED)
        .select_related("payment")
        .order_by("pk")[:REFUND_BATCH]
    ):
        try:
            succeeded += send_refund(refund, provider=provider, now=now)
        except ProviderError as error:
            logger.warning("refund %s not sent this time: %s", refund.idempotency_key, error)
    return succeeded


def open_refund_for_due(due: CardRefundDue, *, now: datetime.datetime) -> Refund | None:
    """The refund of a due row, against the file's paid card payment."""
    payment = (
        Payment.objects.filter(registration_id=due.registration_id, status=PaymentStatus.SUCCEEDED)
        .order_by("-pk")
        .first()
    )
    if payment is None:
        logger.error("card refund %s due without a paid card payment", due.idempotency_key)
        return None
    return payments.open_refund(
        payment=payment,
        amount_cents=due.amount_cents,
        reason=due.reason,
        idempotency_key=due.idempotency_key,
        now=now,
    )


def send_refund(refund: Refund, *, provider: PaymentProvider, now: datetime.datetime) -> bool:
    """Ask the provider (once per key, however often asked), then record its answer: the
    refund event, the ``card_refund`` posting and the due row done, in one transaction."""
    payment = refund.payment
    assert payment.psp_id is not None
    try:
        remote = provider.refund(
            payment.psp_id,
            amount_cents=refund.amount_cents,
            idempotency_key=refund.idempotency_key,
            metadata={"registration": str(payment.registration_id)},
        )
    except ProviderError as error:
        if error.retryable:
            raise
        Refund.objects.filter(pk=refund.pk, status=RefundStatus.REQUESTED).update(
            status=RefundStatus.FAILED, failure_code=error.code
        )
        logger.error("refund %s refused by the provider: %s", refund.idempotency_key, error)
        return False
    with transaction.atomic():
        Payment.objects.select_for_update().get(pk=payment.pk)
        locked = Refund.objects.select_for_update().select_related("payment").get(pk=refund.pk)
        if not payments.record_refund(locked, remote, now=now):
            return False
        post_card_refund(locked)
        CardRefundDue.objects.filter(idempotency_key=locked.idempotency_key, done_at__isnull=True).update(
            done_at=now
        )
        emails.notify_refund(payment.registration, locked.amount_cents)
    return True
